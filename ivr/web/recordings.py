"""Call recordings for the browser's <audio> player: only to viewers who may see the call's
household, with HTTP Range support (Starlette's FileResponse) so the player can seek."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ivr.web.access import not_found, recording_or_404
from ivr.web.viewer import Viewer

AUDIO_TYPES = {".wav": "audio/wav", ".gsm": "audio/x-gsm", ".mp3": "audio/mpeg"}


def recording_audio(request: Request) -> Response:
    viewer: Viewer = request.state.viewer
    with request.app.state.db.session() as session:
        recording = recording_or_404(session, viewer, request.path_params["recording_id"])
        path = Path(recording.path)
    if path.suffix.lower() not in AUDIO_TYPES or not path.is_file():
        raise not_found()  # deleted by retention, or a path that is no recording
    media_type = AUDIO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    return FileResponse(
        path,
        media_type=media_type,
        # a voice is personal data: no shared cache may keep it
        headers={"Cache-Control": "private, no-store"},
    )
