"""Everything the bot says to people, in one place (errors map here by class, not by text).

Each message is an English msgid (`bot.i18n`): `Text` is a Telegram-HTML template, `Plain`
is shown without markup (button labels, callback answers, notes a renderer escapes),
`Plural`/`TextPlural` have a form per number. Handlers send `tr(MESSAGE)`, the message in
the chat's language (`tr` from `texts()` in a handler, `i18n.translator(lang)` elsewhere);
the catalogs are `bot/locales/*/LC_MESSAGES/newsbot.po` (recipe in `bot/i18n.py`).

A translated template is still `Markup`: its `.format()` escapes each value it is given (a
topic, a host, an error's text), so nothing a user, a page or a feed wrote can turn into
markup. The bot refuses a plain `str` where HTML is expected, and an untranslated `Text`
too (`bot.telegram.outgoing`).

Counts in settings-driven sentences (HELP's limits) are written so that no word agrees with
the number ("at most: 5"), since one sentence can't take a plural form per number.
"""

from __future__ import annotations

from datetime import date

from bot import errors
from bot.i18n import Plain, Plural, Text, TextPlural, Translator
from bot.telegram.jobs import JobTimeout
from bot.telegram.markup import Markup

WELCOME = Text(
    "Hi! Send me a link to a news article and I'll answer with its key points — "
    "2 to 5 short bullets, taken from the article itself.\n\n"
    "Example: https://www.bbc.com/news/some-story\n\n"
    "I can also send you a daily digest of a topic: /subscribe North Korea\n\n"
    "/help — how it works\n/lang CODE — the language I write and summarize in"
)

# TRANSLATORS: {max_links}, {max_topics}, {rate_links} and {digests_per_hour} are numbers
# from the bot's settings and {rate_window} a duration ("10 minutes"): phrase the
# sentences so that no word has to agree with the numbers ("links per message: up to 3").
HELP = Text(
    "<b>How to use me</b>\n"
    "• Send or forward a message with a link (up to {max_links} links per message). "
    "Links in photo captions and hidden behind text work too.\n"
    "• I read the page, find the article and reply with its points of attention, "
    "the site, the date and a link to the original.\n"
    "• Paywalled pages: I summarize only what is visible and say so.\n"
    "• Reply to a summary or a digest with a question and I answer from its articles.\n\n"
    "<b>Commands</b>\n"
    "/start — the short introduction\n"
    "/help — this message\n"
    "/lang CODE — my messages and the summaries in another language, e.g. "
    "<code>/lang de</code>; <code>/lang auto</code> goes back to your Telegram language\n\n"
    "<b>Daily digest</b>\n"
    "/subscribe TOPIC — follow a topic (<code>/subscribe North Korea</code>) or the address "
    "of an RSS/Atom feed; up to {max_topics} topics\n"
    "/topics — what you follow and when the digest comes\n"
    "/unsubscribe — stop following a topic\n"
    "/time HH:MM Area/City — when the digest comes, e.g. <code>/time 07:30 Europe/Kyiv</code>\n"
    "/digest — your digest now, with what is new since the last one\n"
    "/import — follow the feeds of an OPML file: send the file with the caption /import, "
    "or reply /import to it (one request of your budget)\n"
    "/export — your topics and feeds as an OPML file, for a feed reader or another chat\n"
    "/forget — delete everything I store about this chat\n"
    "<code>/subscribe @channel TOPIC</code> — the digest in a channel or group you "
    "administer (add me there as an admin first); <code>/topics</code>, "
    "<code>/unsubscribe</code> and <code>/time</code> take <code>@channel</code> too\n\n"
    "You can ask for {rate_links} summaries every {rate_window} (feed checks, questions and "
    "/digest count too; /digest at most {digests_per_hour} times an hour per chat). In groups, "
    "only admins can change the settings."
)

NO_LINK = Text(
    "I didn't find a link in that message. Send me a link to a news article "
    "(for example https://apnews.com/…) and I'll reply with its key points."
)

NOT_ALLOWED = Text(
    "Sorry, this bot is private: it only answers the people its owner has allowed. "
    "You can run your own copy — it's open source."
)

# TRANSLATORS: {current} is a language code such as "en", "pt-BR" or "auto".
LANG_USAGE = Text(
    "Usage: /lang CODE, for example <code>/lang en</code> or <code>/lang pt-BR</code>. "
    "<code>/lang auto</code> follows your Telegram language. Now: <b>{current}</b>."
)
# TRANSLATORS: {language} is the language's name in this language ("German", "Deutsch").
LANG_SET = Text("From now on I write in <b>{language}</b>, and summaries are in it too.")
# The chosen language has no catalog: this one is always read in English.
LANG_SET_SUMMARIES_ONLY = Text(
    "Summaries will be in <b>{language}</b> ({code}) from now on. My own messages stay in "
    "English: I don't speak that language yet."
)
LANG_SET_NO_MODEL = Text(
    "From now on I write in <b>{language}</b>. Summaries stay in each article's own "
    "language: translating them needs a language model, and this bot runs without one."
)
LANG_AUTO = Text("I follow your Telegram language again, for my messages and the summaries.")
LANG_NOT_A_LANGUAGE = Text(
    "<b>{code}</b> is not a language code. Use a two-letter ISO 639-1 code, "
    "for example <code>/lang de</code> or <code>/lang uk</code>."
)
LANG_NEEDS_MODEL = Text(
    "Translation needs a language model, and this bot runs without one: summaries stay "
    "in each article's own language."
)
# TRANSLATORS: {command} is what the user typed, e.g. "/weather".
UNKNOWN_COMMAND = Text("I don't know {command}. /help lists what I can do.")

# Notes and labels inside a summary (render.py puts them in italics or a link).
TEASER_NOTE = Plain(
    "⚠️ Only a teaser of this article could be read (paywall or a very short page): "
    "these points cover just that part."
)
FALLBACK_NOTE = Plain(
    "ℹ️ The AI model was unavailable, so these points are sentences picked from the "
    "article itself."
)
# TRANSLATORS: the points of a very long article were made from its first {count} words.
LONG_ARTICLE_NOTE = Plural(
    "ℹ️ Long article: these points cover its first {count} word.",
    "ℹ️ Long article: these points cover its first {count} words.",
)
# TRANSLATORS: {written} and {asked} are language names, e.g. "English", "German".
LANGUAGE_FALLBACK_NOTE = Plain(
    "ℹ️ Written in {written}: the model did not answer in {asked}."
)
READ_ORIGINAL = Plain("Read the original")
UNTITLED = Plain("(untitled)")

TOO_MANY_LINKS = TextPlural(
    "I read the first {limit} link of your message; send the others separately.",
    "I read the first {limit} links of your message; send the others separately.",
)
# TRANSLATORS: {host} is a web site's name, e.g. "bbc.com".
READING = Text("Reading {host}…")
# One budget covers links, feed checks, /digest and questions, so the answer names them all.
# TRANSLATORS: {wait} is a duration, e.g. "5 minutes".
RATE_LIMITED = Text(
    "You've reached the limit of summaries, feed checks, digests and questions for now. "
    "Please try again in {wait}."
)
DIGEST_TOO_OFTEN = TextPlural(
    "This chat can ask for {limit} digest an hour. "
    "The next one can come in {wait}; the daily digest still comes on time.",
    "This chat can ask for {limit} digests an hour. "
    "The next one can come in {wait}; the daily digest still comes on time.",
)
SECONDS = Plural("{n} second", "{n} seconds")
MINUTES = Plural("{n} minute", "{n} minutes")


def rate_limited(tr: Translator, seconds: float) -> Markup:
    return tr(RATE_LIMITED).format(wait=duration(tr, seconds))


def digest_too_often(tr: Translator, limit: int, seconds: float) -> Markup:
    return tr(DIGEST_TOO_OFTEN, limit).format(limit=limit, wait=duration(tr, seconds))


def duration(tr: Translator, seconds: float) -> str:
    """ "1 second", "5 minutes": a wait, rounded up."""
    total = max(1, int(seconds + 0.999))
    if total < 60:
        return tr(SECONDS, total).format(n=total)
    minutes = (total + 59) // 60
    return tr(MINUTES, minutes).format(n=minutes)


# Groups: who may change a chat's settings, and confirmation buttons.
ADMINS_ONLY = Text("Only this group's admins can change its settings.")
# Plain text: answers to a button press (Telegram shows them without markup).
PROMPT_STALE = Plain("This button doesn't work any more. Send the command again.")
NOT_YOUR_PROMPT = Plain("Only the person who asked can answer this.")


# --- a link that could not be summarized ----------------------------------------------------

JOB_TIMEOUT = Text(
    "I stopped reading {host}: it was taking too long. Please try again later."
)
BLOCKED_ADDRESS = Text(
    "I can't open {host}: it points to a private or local network address."
)
INVALID_URL = Text(
    "That doesn't look like a web address I can open (it needs http:// or https://)."
)
# TRANSLATORS: {status} is an HTTP status code, e.g. 403.
HTTP_REFUSED = Text("{host} refused to show me this page (HTTP {status}).")
HTTP_NOT_FOUND = Text(
    "{host} says this page doesn't exist (HTTP {status}). Check the link?"
)
HTTP_ERROR = Text("{host} answered with an error (HTTP {status}). Try again later.")
FETCH_TIMEOUT = Text("{host} took too long to answer. Try again later.")
TOO_LARGE = Text("The page at {host} is too large for me to read.")
NOT_HTML = Text(
    "That link on {host} isn't a web page (it's a file or another kind of document)."
)
TOO_MANY_REDIRECTS = Text(
    "{host} keeps redirecting me in circles, so I couldn't reach the page."
)
UNREACHABLE = Text(
    "I couldn't reach {host}. The site may be down or the address misspelled."
)
NO_ARTICLE = Text(
    "I opened the page on {host} but found no article text in it "
    "(it may be a video, a gallery or a page that needs JavaScript)."
)
SUMMARIZER_FAILED = Text(
    "I couldn't summarize this article right now. Please try again later."
)
GENERIC_FAILURE = Text(
    "Something went wrong on my side while reading {host}. Please try again later."
)


def failure(tr: Translator, exc: errors.NewsbotError, host: str) -> Markup:
    """A friendly, specific answer for a link that could not be summarized."""
    if isinstance(exc, JobTimeout):
        return tr(JOB_TIMEOUT).format(host=host)
    if isinstance(exc, errors.BlockedAddress):
        return tr(BLOCKED_ADDRESS).format(host=host)
    if isinstance(exc, errors.InvalidURL):
        return tr(INVALID_URL)
    if isinstance(exc, errors.HTTPStatusError):
        if exc.status_code in (401, 402, 403):
            return tr(HTTP_REFUSED).format(host=host, status=exc.status_code)
        if exc.status_code in (404, 410):
            return tr(HTTP_NOT_FOUND).format(host=host, status=exc.status_code)
        return tr(HTTP_ERROR).format(host=host, status=exc.status_code)
    if isinstance(exc, errors.FetchTimeout):
        return tr(FETCH_TIMEOUT).format(host=host)
    if isinstance(exc, errors.TooLarge):
        return tr(TOO_LARGE).format(host=host)
    if isinstance(exc, errors.NotHTML):
        return tr(NOT_HTML).format(host=host)
    if isinstance(exc, errors.TooManyRedirects):
        return tr(TOO_MANY_REDIRECTS).format(host=host)
    if isinstance(exc, errors.FetchError):
        return tr(UNREACHABLE).format(host=host)
    if isinstance(exc, errors.ExtractionError):
        return tr(NO_ARTICLE).format(host=host)
    if isinstance(exc, errors.SummarizerError):
        return tr(SUMMARIZER_FAILED)
    return tr(GENERIC_FAILURE).format(host=host)


# --- subscriptions and digests ---------------------------------------------------------------

SUBSCRIBE_USAGE = Text(
    "Usage: /subscribe TOPIC — for example <code>/subscribe North Korea</code>, "
    "or the address of an RSS/Atom feed: "
    "<code>/subscribe https://feeds.bbci.co.uk/news/rss.xml</code>"
)
TOPIC_LENGTH = Text(
    "A topic must be {min} to {max} characters long. Try a few words, like "
    "<code>/subscribe climate policy</code>."
)
# TRANSLATORS: {when} is e.g. "in 3 hours"; {time} "07:30"; {tz} a timezone, "Europe/Kyiv".
SUBSCRIBED = Text(
    "Subscribed to <b>{topic}</b>. Your next digest comes {when} ({time} {tz}).\n"
    "/topics shows what you follow; /digest sends it now."
)
SUBSCRIBED_FEED = Text(
    "Subscribed to the feed <b>{topic}</b>. Your next digest comes {when} ({time} {tz}).\n"
    "/topics shows what you follow; /digest sends it now."
)
DUPLICATE_TOPIC = Text("You already follow <b>{topic}</b>. /topics shows the list.")
TOO_MANY_TOPICS = TextPlural(
    "You already follow {limit} topic, the most I can keep per chat. "
    "Remove it with /unsubscribe first.",
    "You already follow {limit} topics, the most I can keep per chat. "
    "Remove one with /unsubscribe first.",
)
# TRANSLATORS: {reason} is why the address was refused (it may stay in English).
BAD_FEED_URL = Text("That doesn't look like a feed address I can open: {reason}")
NOT_A_FEED = Text(
    "I opened {host} but it isn't an RSS or Atom feed. Send the feed's own address "
    "(it often ends in /rss, /feed or .xml), or a few words to search the news for."
)

NO_TOPICS = Text("You don't follow any topic yet. Try <code>/subscribe North Korea</code>.")
TOPICS_HEADER = Text("<b>Your topics</b> ({count} of {limit}):")
TOPICS_LINE = Markup("{n}. {topic}")  # no words to translate
TOPICS_FOOTER = Text(
    "Digest every day at <b>{time}</b> ({tz}); the next one comes {when}.\n"
    "Change it with <code>/time 07:30 Europe/Kyiv</code>; remove a topic with /unsubscribe."
)
FEED_MARK = Plain("(feed)")  # after a topic in /topics and on its button

STORAGE_PROBLEM = Text("I couldn't save that (storage problem). Please try again later.")
UNSUBSCRIBE_PICK = Text("Which topic should I stop following?")
UNSUBSCRIBED = Text("Stopped following <b>{topic}</b>.")
UNSUBSCRIBED_MORE = Text("Stopped following <b>{topic}</b>. Remove another?")
NOT_SUBSCRIBED = Text("You don't follow <b>{topic}</b>. /topics shows the list.")
UNSUBSCRIBE_GONE = Plain("That topic was already removed.")  # a callback answer

# TRANSLATORS: HH:MM and Area/City stay as they are (what the command takes).
TIME_USAGE = Text(
    "Usage: /time HH:MM [Area/City], 24-hour, for example <code>/time 07:30 Europe/Kyiv</code>. "
    "Now: <b>{time}</b> ({tz})."
)
BAD_TIME = Text(
    "I can't read <b>{given}</b> as a time: use 24-hour HH:MM, for example "
    "<code>/time 07:30 Europe/Kyiv</code>."
)
BAD_TIMEZONE = Text(
    "I don't know the timezone <b>{given}</b>. Use an Area/City name, for example "
    "<code>/time 07:30 Europe/Kyiv</code> or <code>/time 18:00 America/New_York</code>."
)
TIME_SET = Text("Your digest comes every day at <b>{time}</b> ({tz}); the next one {when}.")

DIGEST_FAILED = Text("I couldn't put your digest together right now. Please try again later.")

FORGET_CONFIRM = Text(
    "Delete everything I store about this chat — topics, digest time, language and the "
    "record of stories already sent? This can't be undone."
)
FORGET_YES = Plain("Yes, delete it all")  # button labels
FORGET_NO = Plain("Cancel")
FORGOTTEN = Text("Done: I no longer store anything about this chat.")
FORGET_CANCELLED = Text("Nothing was deleted.")

# Digest rendering (plain text, put into markup by digest_render.py).
DIGEST_TITLE = Plain("Your daily digest")
# TRANSLATORS: {date} is already in this language's format ("2 груд. 2026 р.").
DIGEST_TITLE_DATED = Plain("Your daily digest — {date}")
UPDATE_MARK = Plain("Update:")
# A story with no points: no article of it could be fetched and read (a Google link that
# would not resolve, a site that was down); what shows is the feed's headline and lead.
ONLY_HEADLINE = Plain("Only the headline could be read.")
REPORTED_BY = Plural("reported by {count} outlet", "reported by {count} outlets")
IN_MINUTES = Plural("in {n} minute", "in {n} minutes")
IN_HOURS = Plural("in about {n} hour", "in about {n} hours")

# The command menu (setMyCommands), one list per language.
COMMANDS = (
    ("start", Plain("What this bot does")),
    ("help", Plain("How to use it")),
    ("subscribe", Plain("Daily digest of a topic, e.g. /subscribe North Korea")),
    ("topics", Plain("The topics you follow and when the digest comes")),
    ("unsubscribe", Plain("Stop following a topic")),
    ("time", Plain("When the digest comes, e.g. /time 07:30 Europe/Kyiv")),
    ("digest", Plain("Your digest now")),
    ("import", Plain("Follow the feeds of an OPML file")),
    ("export", Plain("Your topics and feeds as an OPML file")),
    ("lang", Plain("My language and the summaries', e.g. /lang de")),
    ("forget", Plain("Delete everything stored about this chat")),
)


def commands(tr: Translator) -> list[tuple[str, str]]:
    return [(command, tr(description)) for command, description in COMMANDS]


def reported_by(tr: Translator, count: int) -> str:
    return tr(REPORTED_BY, count).format(count=count)


def digest_title(tr: Translator, local_date: date | None) -> str:
    if local_date is None:
        return tr(DIGEST_TITLE)
    return tr(DIGEST_TITLE_DATED).format(date=tr.date(local_date))


def when(tr: Translator, delta_seconds: float) -> str:
    """"in 3 hours" / "in 25 minutes": how far away the next digest is."""
    minutes = max(1, round(delta_seconds / 60))
    if minutes < 60:
        return tr(IN_MINUTES, minutes).format(n=minutes)
    hours = round(minutes / 60)
    return tr(IN_HOURS, hours).format(n=hours)


# --- /import and /export: feed lists as OPML files (bot/telegram/opml.py) --------------------

IMPORT_PROMPT = Text(
    "Send me your feed list as an OPML file (feed readers such as Feedly, Inoreader or "
    "NetNewsWire export one), as a reply to this message. You can also send the file with "
    "the caption /import, or reply /import to a file you sent."
)
IMPORT_HINT = Text(
    "This looks like a feed list. To follow its feeds here, reply /import to the file."
)
IMPORT_TOO_LARGE = Text(
    "That file is {size}: I read OPML files of up to {limit}. Export only your news feeds, "
    "or split the file."
)
IMPORT_UNSAFE = Text(
    "I didn't read that file: it has a DOCTYPE (XML entities or external references), "
    "which an OPML feed list never needs."
)
IMPORT_MALFORMED = Text(
    "I couldn't read that file: it isn't well-formed XML. Export your subscriptions from "
    "your feed reader again, as OPML, and send that file."
)
IMPORT_NOT_OPML = Text(
    "That file isn't an OPML feed list. Export your subscriptions from your feed reader as "
    "OPML (a .opml file) and send that."
)
IMPORT_EMPTY = Text("That OPML file lists no feeds (no outline has an xmlUrl).")
IMPORT_DOWNLOAD_FAILED = Text(
    "I couldn't download that file from Telegram. Please send it again."
)
IMPORT_CHECKING = Text("Checking the feeds of {file} ({count} listed)…")
IMPORT_SUMMARY = Text("<b>Import of {file}</b>: {added} added, {skipped} skipped.")
IMPORT_ADDED = Text("<b>Added</b>:")
IMPORT_SKIPPED = Text("<b>Skipped</b>:")
IMPORT_LINE = Text("• {name}")
IMPORT_SKIPPED_LINE = Text("• {name} — {reason}")
IMPORT_MORE = Text("• …and {count} more")
IMPORT_OVER_LIMIT = Text(
    "• {count} more not added: a chat follows at most {limit} topics and feeds "
    "(/unsubscribe some first)"
)
IMPORT_NEXT = Text("Your next digest comes {when} ({time} {tz}). /topics shows the list.")
# Why one feed of a file was skipped: the end of an IMPORT_SKIPPED_LINE.
SKIP_ALREADY = Text("you already follow it")
SKIP_DUPLICATE = Text("listed twice in the file")
SKIP_NOT_A_FEED = Text("not an RSS or Atom feed")
SKIP_UNREACHABLE = Text("couldn't be reached")
SKIP_HTTP = Text("the site answered HTTP {status}")
SKIP_SLOW = Text("took too long to answer")
SKIP_BLOCKED = Text("a private or local network address")
SKIP_INVALID = Text("not a web address I can open")
SKIP_TOO_LONG = Text("too long for a topic or feed address")
SKIP_STORAGE = Text("couldn't be saved (storage problem)")

EXPORT_CAPTION = Text(
    "Your topics and feeds ({count}) as OPML: open the file in a feed reader, or send it "
    "to another chat with the caption /import."
)
EXPORT_FAILED = Text("I couldn't send the file right now. Please try again later.")


def file_size(size: int) -> str:
    """"512 KB", "3.1 MB": a file's size as people read it."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


# --- digests in channels and groups (/subscribe @channel TOPIC and friends) -----------------
# {name} is how the chat is shown (@username or its title); {ref} is how to name it again in
# a command (@username or its numeric id).
# TRANSLATORS: in these messages {name} is a channel or group ("@kyiv_news" or its title) and
# {ref} how it is named in a command ("@kyiv_news" or "-1001234567890"); {given} is what the
# user typed. Keep commands inside <code> as they are, apart from the example topic.

CHAT_BAD_REF = Text(
    "<b>{given}</b> isn't a channel or group I can look up: use its @username, like "
    "<code>/subscribe @mychannel North Korea</code>, or its numeric id, like "
    "<code>-1001234567890</code>."
)
CHAT_UNKNOWN = Text(
    "I can't find <b>{given}</b>. Check the name; a private channel or group I'm not in "
    "can't be found: add me as an administrator first, then use its @username or numeric id."
)
CHAT_NOT_A_CHANNEL = Text(
    "<b>{given}</b> is a person, not a channel or group. Daily digests go to your own chat "
    "with me, or to a channel or group you administer."
)
BOT_NOT_IN_CHAT = Text(
    "I'm not in {name}. Add me to it as an administrator with the right to post messages, "
    "then send the command again."
)
BOT_CANNOT_POST = Text(
    "I'm in {name} but can't post there. Make me an administrator with the right to "
    "post messages, then send the command again."
)
BOT_CANNOT_POST_GROUP = Text(
    "I can't send messages in {name}. Allow me to send messages there (or make me an "
    "administrator), then send the command again."
)
USER_NOT_ADMIN = Text("Only administrators of {name} can change its digest.")
CHANNEL_RESUMED = Text(
    "I couldn't post in {name} before (was I removed?), so its digest was paused. "
    "It's back on now."
)

CHANNEL_SUBSCRIBE_USAGE = Text(
    "Usage: <code>/subscribe {ref} TOPIC</code>, for example "
    "<code>/subscribe {ref} North Korea</code>, or the address of an RSS/Atom feed."
)
CHANNEL_SUBSCRIBED = Text(
    "{name} now follows <b>{topic}</b>. Its next digest comes {when} ({time} {tz}).\n"
    "<code>/topics {ref}</code> shows what it follows."
)
CHANNEL_SUBSCRIBED_FEED = Text(
    "{name} now follows the feed <b>{topic}</b>. Its next digest comes {when} "
    "({time} {tz}).\n<code>/topics {ref}</code> shows what it follows."
)
CHANNEL_DUPLICATE_TOPIC = Text(
    "{name} already follows <b>{topic}</b>. <code>/topics {ref}</code> shows the list."
)
CHANNEL_TOO_MANY_TOPICS = TextPlural(
    "{name} already follows {limit} topic, the most I can keep per chat. Remove it with "
    "<code>/unsubscribe {ref} TOPIC</code> first.",
    "{name} already follows {limit} topics, the most I can keep per chat. Remove one with "
    "<code>/unsubscribe {ref} TOPIC</code> first.",
)
CHANNEL_NO_TOPICS = Text(
    "{name} doesn't follow any topic yet. Try <code>/subscribe {ref} North Korea</code>."
)
CHANNEL_TOPICS_HEADER = Text("<b>Topics of {name}</b> ({count} of {limit}):")
CHANNEL_TOPICS_FOOTER = Text(
    "Digest every day at <b>{time}</b> ({tz}); the next one comes {when}.\n"
    "Change it with <code>/time {ref} 07:30 Europe/Kyiv</code>; remove a topic with "
    "<code>/unsubscribe {ref} TOPIC</code>."
)
CHANNEL_UNSUBSCRIBE_USAGE = Text(
    "Usage: <code>/unsubscribe {ref} TOPIC</code>. <code>/topics {ref}</code> shows what "
    "{name} follows."
)
CHANNEL_UNSUBSCRIBED = Text("{name} no longer follows <b>{topic}</b>.")
CHANNEL_NOT_SUBSCRIBED = Text(
    "{name} doesn't follow <b>{topic}</b>. <code>/topics {ref}</code> shows the list."
)
CHANNEL_TIME_USAGE = Text(
    "Usage: <code>/time {ref} HH:MM Area/City</code>, 24-hour, for example "
    "<code>/time {ref} 07:30 Europe/Kyiv</code>. Now: <b>{time}</b> ({tz})."
)
CHANNEL_TIME_SET = Text(
    "The digest of {name} comes every day at <b>{time}</b> ({tz}); the next one {when}."
)


# --- questions about a story: replies to summaries and digests (bot/telegram/questions.py) ---

ASK_ABOUT = Markup("💬 <b>{title}</b>")  # which story the answer is about; no words to translate
ASK_LINE = Markup("{text} <i>— {outlets}</i>")  # a sentence of the model's answer; no words
# TRANSLATORS: a sentence quoted word for word from an article, then the outlets it is from;
# use your language's quotation marks.
ASK_QUOTE_LINE = Text("«{text}» <i>— {outlets}</i>")
# TRANSLATORS: {outlets} is the outlet's name, e.g. "Korea Herald".
ASK_NOT_SAID = Text("The article doesn't say. I only answer from what it reports ({outlets}).")
# TRANSLATORS: {outlets} is a list of outlets' names, e.g. "Korea Herald, NK News".
ASK_NOT_SAID_MANY = Text(
    "The articles don't say. I only answer from what they report ({outlets})."
)
# Put in italics under an answer.
ASK_QUOTED_NOTE = Plain("Quoted from the article: the sentences closest to your question.")
ASK_FALLBACK_NOTE = Plain(
    "The language model is unavailable right now, so these are the article's own sentences "
    "closest to your question."
)
ASK_NOT_A_SUMMARY = Text(
    "I answer questions about my summaries and digests: reply to one of them with your "
    "question, for example <i>why did they recall them?</i>"
)
ASK_EXPIRED = TextPlural(
    "I no longer have the articles behind that message (I keep them for {days} day). "
    "Send the link again and reply to the new summary.",
    "I no longer have the articles behind that message (I keep them for {days} days). "
    "Send the link again and reply to the new summary.",
)
ASK_HEADLINE_ONLY = Text(
    "Only the headline of that story could be read, so I can't answer questions about it."
)
ASK_FAILED = Text("I couldn't answer that right now. Please try again later.")
