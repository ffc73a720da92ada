"""`make run`'s embedded broker: kombu's filesystem transport with atomic message files.

kombu's filesystem channel creates a message file under its final name and then writes
it, while a worker may list the folder, take that file and parse it in between: an empty
or half-written file, a ``JSONDecodeError`` and a dead worker. Here a message is written
to a hidden temporary file and renamed into place, so a consumer only ever sees whole
messages. This is the channel hook kombu's virtual transports are built on (``_put``).
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        folder = Path(self.data_folder_out)
        # The same name scheme as kombu's (time-ordered, then the queue), so its reader,
        # size and purge keep working; the leading dot keeps the temp file out of them.
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(dumps(payload).encode())
            os.replace(temp, folder / name)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise ChannelError(f"Cannot add a message to {folder}") from exc

    def _get(self, queue: str) -> Any:  # type: ignore[override]  # as kombu's filesystem Channel
        try:
            return super()._get(queue)
        except ValueError:
            # A file no whole message could come from (left by an older, non-atomic
            # writer): drop it with a log line rather than stop the worker.
            logger.exception("Dropped an unreadable message file from the %s queue", queue)
            raise Empty() from None


class Transport(filesystem.Transport):
    Channel = Channel
