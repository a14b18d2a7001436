"""The adapter of each messenger channel."""

from bot.channels.base import Adapter
from bot.channels.messenger import MessengerAdapter
from bot.channels.telegram import TelegramAdapter
from bot.channels.whatsapp import WhatsAppAdapter

_ADAPTERS: dict[str, Adapter] = {
    adapter.channel: adapter
    for adapter in (TelegramAdapter(), WhatsAppAdapter(), MessengerAdapter())
}


def adapter_get(channel: str) -> Adapter:
    """The adapter for a channel name; KeyError for "web" or an unknown name."""
    return _ADAPTERS[channel]
