"""The Telegram front end: links in, points of attention out (python-telegram-bot)."""
