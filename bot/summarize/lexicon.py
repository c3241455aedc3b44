"""Small word lists the guard needs: function words, demonyms, claims that must be backed.

Kept short and general on purpose: they describe how news sentences are built (which
words carry no fact, which name a country, which state a death), not any test's strings.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that carry no checkable fact, in the languages the guard compares content in.
STOPWORDS = _words(
    """
    a an the and or but nor so yet of to in on at by for from with without into onto over
    under about after before since until during than as is are was were be been being am
    has have had do does did will would shall should can could may might must not no this
    that these those there here it its it's he him his she her hers they them their theirs
    we us our you your i me my who whom whose which what when where why how all any both
    each few more most other some such only own same too very just also then now new
    said says say told tells according while who's which's one ones s
    der die das den dem des ein eine einer eines einem einen und oder aber nicht mit von
    zu zum zur im in am an auf für ist sind war waren wird werden wurde wurden hat haben
    sich bei nach vor aus als auch es er sie wir ihr ihre sein seine dass bis über um
    і й та а але що як це від до на в у з із зі за про для по його її їх він вона вони
    ми ви не ні так також після через під над при між біля або чи є був була були буде
    и в во с со к ко от по о об из за для как что это он она они мы вы не ни так также
    после через под над при между или был была были будет
    le la les un une des du de et ou mais est sont dans pour par sur avec
    el los las unos unas del y o pero en por para con
    """
)

# Words that may open a point without being a name (checked lower-cased).
OPENERS = STOPWORDS | _words(
    """
    after although because despite following meanwhile however still nearly almost about
    around some over more less several many most both either neither every another
    according once today yesterday tomorrow last next earlier later now early late
    """
)

# Country → the words for its people and adjective, so "French" is backed by "France".
_DEMONYMS = {
    "afghanistan": "afghan", "albania": "albanian", "algeria": "algerian",
    "america": "american", "argentina": "argentine argentinian", "armenia": "armenian",
    "australia": "australian", "austria": "austrian", "azerbaijan": "azerbaijani",
    "belarus": "belarusian", "belgium": "belgian", "brazil": "brazilian",
    "britain": "british briton", "bulgaria": "bulgarian", "canada": "canadian",
    "chile": "chilean", "china": "chinese chinesisch", "colombia": "colombian",
    "croatia": "croatian",
    "cuba": "cuban", "czechia": "czech", "denmark": "danish dane", "egypt": "egyptian",
    "england": "english", "estonia": "estonian", "ethiopia": "ethiopian",
    "finland": "finnish finn", "france": "french", "georgia": "georgian",
    "germany": "german", "greece": "greek", "hungary": "hungarian", "india": "indian",
    "indonesia": "indonesian", "iran": "iranian", "iraq": "iraqi", "ireland": "irish",
    "israel": "israeli", "italy": "italian", "japan": "japanese", "jordan": "jordanian",
    "kazakhstan": "kazakh", "kenya": "kenyan", "korea": "korean", "latvia": "latvian",
    "lebanon": "lebanese", "libya": "libyan", "lithuania": "lithuanian",
    "mexico": "mexican", "moldova": "moldovan", "morocco": "moroccan", "nepal": "nepali nepalese",
    "netherlands": "dutch", "nigeria": "nigerian", "norway": "norwegian",
    "pakistan": "pakistani", "palestine": "palestinian", "peru": "peruvian",
    "philippines": "filipino philippine", "poland": "polish pole", "portugal": "portuguese",
    "qatar": "qatari", "romania": "romanian", "russia": "russian", "scotland": "scottish scot",
    "serbia": "serbian", "slovakia": "slovak", "somalia": "somali", "spain": "spanish spaniard",
    "sudan": "sudanese", "sweden": "swedish swede", "switzerland": "swiss",
    "syria": "syrian", "taiwan": "taiwanese", "thailand": "thai", "turkey": "turkish turk",
    "ukraine": "ukrainian", "venezuela": "venezuelan", "vietnam": "vietnamese",
    "wales": "welsh", "yemen": "yemeni",
    "frankreich": "französisch franzosen", "deutschland": "deutsch deutsche deutschen",
    "russland": "russisch russen", "polen": "polnisch", "italien": "italienisch",
    "spanien": "spanisch", "japan ": "japanisch",
}  # fmt: skip
DEMONYM_GROUPS: dict[str, frozenset[str]] = {}
for _country, _people in _DEMONYMS.items():
    _group = frozenset({_country.strip(), *_people.split()})
    for _w in _group:
        DEMONYM_GROUPS[_w] = DEMONYM_GROUPS.get(_w, frozenset()) | _group

# Claims a point may make only if its sentences make them too: inventing a death is the
# worst error a summary can make about a person. Matched as word prefixes.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "death": (
        "died", "dying", "dead", "death", "kill", "kills", "killed", "killing", "his passing",
        "her passing", "their passing", "passed away", "perish", "fatal", "murder", "slain",
        "mourn", "lost their lives", "lost his life", "lost her life", "funeral",
        "помер", "помр", "загин", "загиб", "смерт", "вбит", "вбив", "убит", "убил", "погиб",
        "starb", "gestorben", "getötet", "tod", "tot", "tote", "toten", "ums leben",
    ),
}
# Words that state who someone is to someone else: swapping them reverses a relation.
ROLE_WORDS = _words(
    """
    boss employer employee worker wife husband son daughter mother father brother sister
    uncle aunt nephew niece girlfriend boyfriend fiance fiancee partner teacher student
    pupil victim suspect landlord tenant owner patient doctor coach manager stepfather
    stepmother grandson granddaughter grandmother grandfather
    """
)
# Nouns that stand for an organisation named elsewhere ("Apple ... , the company said").
ANAPHORS = _words("company firm group government ministry agency team club party state")
# Verbs of saying: what precedes or follows them names a source, which must be backed.
SAYING = _words(
    """said says told tells reported reports according announced claimed stated
    confirmed"""
)
# Verb forms a subject is followed by (for the subject check, English only).
AUXILIARIES = _words(
    """is are was were has have had will would can could may might must should did does
    do shall"""
)
IRREGULAR_VERBS = _words(
    """beat beats shot shoots met meets took takes won wins left leaves sold sells bought
    buys paid pays fell falls rose rises sent sends made makes found finds gave gives held
    holds hit hits led leads ran runs saw sees went goes came comes became becomes began
    begins broke breaks brought brings built builds caught catches chose chooses drove
    drives fought fights got gets kept keeps lost loses put puts set sets struck strikes
    threw throws wrote writes sued sues fired fires hired hires arose awoke bore bent bet
    bid bit bled blew bred burnt burst cast clung cost crept cut dealt dug did drew dreamt
    drank ate fed felt fled flung flew forbade forgot forgave froze ground grew hung heard
    hid hurt knelt knew laid leant leapt learnt lent let lay lit meant quit read rode rang
    sought shook shed shone showed shut sang sank sat slept slid spoke sped spent spun
    spread sprang stood stole stuck stung swore swept swam swung taught tore thought
    understood woke wore wound withdrew overtook undertook upheld withheld foresaw overcame
    oversaw mislead misled"""
)
