"""Messenger channels: Telegram, WhatsApp Business Cloud API and Facebook Messenger.

Webhooks (views.py) verify and parse platform requests with one adapter per platform
(telegram.py, whatsapp.py, messenger.py, meta.py); services.py drives the same chat
verbs as the website chat (bot/chat.py); delivery.py and tasks.py send the replies.
See the README section "Messenger channels".
"""
