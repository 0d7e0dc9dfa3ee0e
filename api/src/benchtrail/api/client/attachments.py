"""Client methods of run attachments: list them, read one's bytes, save them all to a folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import msgspec

from benchtrail.api.client.base import ClientBase, is_unrouted, path_segment
from benchtrail.api.client.base import _error as error_of
from benchtrail.api.errors import ApiUnavailable, NotFound, UnexpectedResponse
from benchtrail.api.models.attachments import AttachmentView

_views = msgspec.json.Decoder(list[AttachmentView])


class AttachmentMethods(ClientBase):
    """Reading the files stations attached to runs (``run.attach``)."""

    def attachments(self, run_id: str) -> list[AttachmentView]:
        """The run's attachments: name, size, sha256 and mimetype, as attached."""
        path = f"/api/runs/{path_segment('run_id', run_id)}/attachments"
        return _views.decode(self._get(path, missing=("run", run_id)))

    def attachment(self, run_id: str, name: str) -> bytes:
        """The exact bytes of the attachment ``name`` of the run."""
        path = _attachment_path(run_id, name)
        return self._get(path, missing=("attachment", name))

    def save_attachments(self, run_id: str, directory: str | os.PathLike[str]) -> list[Path]:
        """Save every attachment of the run into ``directory`` (created), named as attached.

        Each file is streamed to disk and its sha256 checked; a file that exists is replaced.

        Raises:
            UnexpectedResponse: the bytes received do not have the attachment's sha256.
        """
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        return [
            self._save(_attachment_path(run_id, view.name), target / view.name, view)
            for view in self.attachments(run_id)
        ]

    def _save(self, path: str, file: Path, view: AttachmentView) -> Path:
        if view.name in (".", "..") or Path(view.name).name != view.name:
            raise UnexpectedResponse(self.url + path, 200, f"{view.name!r} is not a file name")
        check = hashlib.sha256()
        partial = file.with_name(f".{file.name}.part")
        try:
            with self._http.stream("GET", path) as response, partial.open("wb") as out:
                if not response.is_success:
                    response.read()
                    error = error_of(self.url + path, response)
                    raise NotFound("attachment", view.name) if is_unrouted(error) else error
                for block in response.iter_bytes():
                    check.update(block)
                    out.write(block)
            if check.hexdigest() != view.sha256:
                raise UnexpectedResponse(self.url + path, 200, f"bytes differ from {view.sha256}")
            partial.replace(file)
        except httpx.HTTPError as e:
            raise ApiUnavailable(self.url, str(e) or type(e).__name__) from e
        finally:
            partial.unlink(missing_ok=True)
        return file


def _attachment_path(run_id: str, name: str) -> str:
    run = path_segment("run_id", run_id)
    return f"/api/runs/{run}/attachments/{path_segment('name', name)}"
