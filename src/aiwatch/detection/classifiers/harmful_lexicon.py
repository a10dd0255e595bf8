"""Concept lexicon of the harmful classifier: words folded into concept tags so the linear model generalises
from the words it was trained on to their neighbours ("build a pipe bomb" -> "build c_explosive", which also
covers "build a grenade"). Safe-context concepts (defence, history, medicine, computing) give it words
for the alarming-but-safe side.
"""

from __future__ import annotations

import itertools
import re


def _words(block: str) -> tuple[str, ...]:
    return tuple(block.split())


CONCEPTS: dict[str, tuple[str, ...]] = {
    "c_violent": _words(
        """
        kill kills killing murder murdering murdered stab stabbing shoot shooting strangle strangling choke
        choking poison poisoning torture torturing beat hurt hurting harm injure maim massacre slaughter
        behead assassinate attack attacking drown drowning suffocate bash punch kidnap abduct ambush rape
        bleed smother execute lynch raping wipe wiped exterminate exterminated extermination eradicate
        genocide throats slit gassed hunt hunted
        """
    ),
    "c_person": _words(
        """
        neighbour neighbor boss ex coworker colleague wife husband teacher roommate girlfriend boyfriend
        classmate manager landlord mother father mom dad brother sister someone somebody stepfather
        stepmother tenant
        """
    ),
    "c_suicide": _words("suicide suicidal overdose overdosing lethal kms unalive wrists wrist noose"),
    "c_selfref": _words("myself"),
    "c_selfinjury": _words("cuts cutting scars scar razor razors blades selfharm"),
    "c_eating": _words("starve starving purge purging anorexia anorexic bulimia ana thinspo"),
    "c_explosive": _words(
        """
        bomb bombs explosive explosives ied ieds grenade grenades detonator tatp dynamite semtex napalm
        thermite molotov landmine fertilizer shrapnel
        """
    ),
    "c_gun": _words(
        """
        gun guns rifle rifles pistol pistols firearm firearms glock shotgun ammunition ammo silencer
        suppressor sear untraceable sks uzi automatic
        """
    ),
    "c_agent": _words(
        """
        sarin ricin vx anthrax nerve toxin chlorine phosgene botulinum pathogen bioweapon bioweapons mustard
        cyanide
        """
    ),
    "c_malware": _words(
        """
        ransomware keylogger trojan rootkit worm virus spyware stealer infostealer botnet backdoor malware
        rat cryptojacker cryptominer miner wiper payload dropper phishing ddos stalkerware
        """
    ),
    "c_evade": _words(
        """
        undetectable undetected evade evades evading bypass obfuscate obfuscated silently secretly
        stealthily stealth unnoticed noticing caught
        """
    ),
    "c_steal": _words(
        """
        steal steals stealing exfiltrate exfiltrates harvest harvests grab grabs dump dumps dumping
        """
    ),
    "c_secret": _words("passwords password credentials cookies tokens keystrokes wallet wallets"),
    "c_sexual": _words(
        """
        sex sexual sexually sexy erotic erotica porn porno pornographic pornography nude nudes naked
        explicit xxx nsfw orgasm masturbating masturbate undress undressing horny hardcore bdsm orgy steamy
        lewd sexting fetish genitals breasts moaning seduce
        """
    ),
    "c_minor": _words(
        """
        child children kid kids minor minors underage teen teens preteen preteens schoolgirl schoolboy
        toddler loli lolicon shota csam pedo pedophile paedophile infant juvenile
        """
    ),
    "c_group": _words(
        """
        women muslims muslim jews jewish blacks immigrants gays gay trans transgender disabled refugees
        mexicans asians christians hindus roma migrants lesbians arabs woman female females immigrant queer
        queers muzzie muzzies
        """
    ),
    "c_dehuman": _words(
        """
        vermin animals rats cockroaches parasites subhuman scum filth disease trash savages inferior plague
        pests
        """
    ),
    "c_insult": _words(
        """
        idiot loser stupid moron worthless pathetic ugly fat freak retard bitch slut whore pig disgusting
        dumb useless fucker fuckers
        """
    ),
    "c_harass": _words(
        """
        dox doxx doxxing stalk stalking harass harassing bully cyberbully bullying humiliate humiliating
        shame shaming rumour rumor mock mocking nasty insults insult threatening
        """
    ),
    "c_hate_emote": _words(
        """
        hate hated hating despise despised disgust disgusts disgusted scorn loathe loathing detest contempt
        abhor sick
        """
    ),
    # Identity slurs: needed to recognise hate speech; HateCheck lists the same terms.
    "c_slur": _words(
        """
        nigger niggers faggot faggots fag fags dyke dykes tranny trannies shemale shemales kike kikes spic
        spics wetback wetbacks chink chinks gook gooks paki pakis raghead ragheads towelhead towelheads
        camelfucker camelfuckers coon coons mong mongs spastic spastics cripple cripples jihadi jihadis
        bitches sluts whores retards negro negroes
        """
    ),
    "c_groom": _words(
        """
        groom grooming alone touch touching secret undress kiss kissing flirt flirting pictures photos
        privately meet
        """
    ),
    "c_positive": _words(
        """
        happy smile smiling heroes hero love loved admire respect proud wonderful great amazing beautiful
        brilliant welcome valued thank
        """
    ),
    "c_counter": _words(
        """
        blocked block report reported jail illegal unacceptable bigot bigots bigotry racist racism hateful
        saying says said messages message comment comments quote wrong
        """
    ),
    "c_defend": _words(
        """
        detect detection detecting protect protection prevent prevention defend defense defence awareness
        training mitigate mitigation remediation incident yara siem soc patch
        """
    ),
    "c_history": _words("history historical war wars historians battle century museum timeline ww ii"),
    "c_care": _words(
        """
        support hotline helpline therapist therapy treat treatment symptoms doctor safely safety prevention
        recovery cope coping
        """
    ),
    "c_report": _words(
        """
        summarise summarize summary article news report reporting policy law laws legal court
        """
    ),
    "c_compute": _words(
        """
        process processes thread pid container script pipeline node cron docker kubernetes linux server
        build deploy deployment bug command terminal sql python bash git
        """
    ),
}

WORD_CONCEPT: dict[str, str] = {word: concept for concept, words in CONCEPTS.items() for word in words}

# Words too common to show as evidence of a detection.
FUNCTION_WORDS = frozenset(
    _words(
        """
        a an the how to i my me it is for at in of and or do can what which that this with on be are you
        your we they them so if
        """
    )
)

# Ages under 18 written as "12-year-old", "13 year old", "ten-year-old".
_AGE_WORDS = _words(
    """
    one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen
    """
)
MINOR_AGE = re.compile(
    r"\b(?:1[0-7]|[1-9]|" + "|".join(_AGE_WORDS) + r")[\s-]*(?:years?|yrs?|yo)\b(?:[\s-]*old)?",
)

# First-person self-harm phrasings that no single word captures.
SELF_PHRASES = re.compile(
    r"\b(?:my (?:own )?(?:life|wrists?|arms?|veins?|thighs?)|end it all|not wake up|want to die|"
    r"don'?t want to live|no reason to live|better off dead|kill me)\b"
)
_SELF_HINTS = ("my ", "end it", "die", "live", "wake", "kill me")
# Quoted speech ("If you say 'I hate X', you are a bigot"): counter-speech and reporting quote hate.
QUOTED = re.compile(r"[\"“”«»]\s*\w+\s+\w+[^\"“”«»]*[\"“”«»]")

# Slurs with no everyday homonym ("dyke", "fag", "coon", "bitch" have one): alone they mark hate speech,
# unless the text quotes them (counter-speech, moderation reports).
STRONG_SLURS = frozenset(
    _words(
        """
        nigger niggers faggot faggots tranny trannies shemale shemales kike kikes wetback wetbacks
        chink chinks gook gooks raghead ragheads towelhead towelheads camelfucker camelfuckers
        """
    )
)

# What "kill", "execute", "terminate" act on in computing; a violent verb followed closely by one of these
# is about software ("kill the stuck java process").
SOFTWARE_TARGETS = frozenset(
    _words(
        """
        process processes thread threads pid job jobs task tasks container containers pod pods session
        sessions server servers app apps query queries connection connections tab tabs service services
        worker workers daemon loop signal program programs script scripts command commands build builds
        node nodes vm instance instances cron function request requests transaction transactions
        """
    )
)
SOFTWARE_TARGET_REACH = 4

# A label is not reported when the text has one of these concepts (the reading that explains it is benign).
LABEL_EXCLUDES: dict[str, frozenset[str]] = {"violence": frozenset({"c_tech_kill"})}

# A label is reported only when the text also has one concept from each listed set: the model alone
# confuses neighbours (adult sexual content vs minors; "make it look like an accident" about someone else).
LABEL_REQUIRES: dict[str, tuple[frozenset[str], ...]] = {
    "sexual_minors": (frozenset({"c_minor", "c_minor_age"}), frozenset({"c_sexual", "c_groom"})),
    "self_harm": (frozenset({"c_suicide", "c_selfref", "c_eating", "c_selfinjury"}),),
}

# Concepts whose words are worth a prefilter trigger on their own (harmful side only).
TRIGGER_CONCEPTS = (
    "c_violent", "c_suicide", "c_selfref", "c_eating", "c_selfinjury", "c_explosive", "c_gun", "c_agent",
    "c_malware", "c_sexual", "c_minor", "c_dehuman", "c_insult", "c_harass", "c_hate_emote", "c_slur",
    "c_group", "c_steal",
)  # fmt: skip


def split_glued(toks: list[str]) -> list[str]:
    """Undo deleted spaces around lexicon words ("manyniggers" -> "many niggers", "blackvermin")."""
    out: list[str] = []
    for tok in toks:
        if len(tok) < 7 or tok in WORD_CONCEPT:
            out.append(tok)
            continue
        out.extend(_split_one(tok))
    return out


def _split_one(tok: str) -> list[str]:
    for cut in range(3, len(tok) - 2):  # longest lexicon suffix first
        head, tail = tok[:cut], tok[cut:]
        if tail in WORD_CONCEPT:
            return [head, tail]
        if head in WORD_CONCEPT and len(head) >= 4:
            return [head, tail]
    return [tok]


def concept_features(toks: list[str], normalized: str) -> list[str]:
    """Concept unigrams and bigrams in which at least one side is a concept."""
    parts = split_glued(toks)
    get = WORD_CONCEPT.get
    mapped = [get(t, t) for t in parts]
    out = [m for m in mapped if m[:2] == "c_"]
    if not STRONG_SLURS.isdisjoint(parts):
        out.append("c_strong_slur")
    if out:
        out += [f"{a} {b}" for a, b in itertools.pairwise(mapped) if a[:2] == "c_" or b[:2] == "c_"]
    # Substring guards skip the regexes on most texts (they cost more than everything else here).
    if ("year" in normalized or "yr" in normalized or "yo" in normalized) and MINOR_AGE.search(normalized):
        out.append("c_minor_age")
    if any(hint in normalized for hint in _SELF_HINTS) and SELF_PHRASES.search(normalized):
        out.append("c_selfref")
    if QUOTED.search(normalized):
        out.append("c_quoted")
    if "c_violent" in out and _violence_targets_software(parts, mapped):
        out.append("c_tech_kill")
    return out


def _violence_targets_software(parts: list[str], mapped: list[str]) -> bool:
    """True when every violent verb acts on a program ("kill the stuck java process", "kill -9 1234")."""
    for i, concept in enumerate(mapped):
        if concept == "c_violent":
            window = parts[i + 1 : i + 1 + SOFTWARE_TARGET_REACH]
            if not any(t in SOFTWARE_TARGETS or t == "<num>" for t in window):
                return False
    return True


# Group mentions that are two words ("black people"): hate speech often has no other trigger word.
PHRASE_TRIGGERS = (rb"\bbl[a4@]ck[ -]?(?:people|persons?|lives|folks?|m[ae]n|wom[ae]n|kids?|guys?)\b",)


def trigger_words() -> list[str]:
    return sorted(w for w, c in WORD_CONCEPT.items() if c in TRIGGER_CONCEPTS and len(w) >= 3)
