"""Detection engine: finds content risks in text. Knows nothing about HTTP or the database."""
