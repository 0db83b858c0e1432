"""Write what the agent sees on screen as an animated GIF (Pillow) or an MP4 (imageio + ffmpeg, where installed).

Frames are RGB arrays from the environment's `rgb_array` render. At most `max_frames` are kept (1000 by
default: a full CartPole episode is 501, and an Atari game can be tens of thousands). GIF frames are
reduced to a 256-colour palette as they arrive, so 1000 CartPole frames hold ~240 MB rather than ~720 MB.
The file is written to a temporary name and renamed into place when complete (`rundir.AtomicWrite`).
No TensorFlow here: a bad `--record` path is answered before it loads.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from evaluate.run_files import EvalError
from rundir import AtomicWrite

MAX_FRAMES = 1000
FORMATS = (".gif", ".mp4")


def mp4_available() -> bool:
    """imageio with its ffmpeg plugin (the imageio-ffmpeg package, which ships an ffmpeg binary)."""
    return importlib.util.find_spec("imageio") is not None and importlib.util.find_spec("imageio_ffmpeg") is not None


def check_record_path(path: str | Path) -> Path:
    """The path `--record` names, if a recording can be written there; EvalError otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise EvalError(f"--record must name a .gif or .mp4 file, got '{path}'")
    if suffix == ".mp4" and not mp4_available():
        raise EvalError(
            "--record .mp4 needs imageio with ffmpeg (pip install imageio imageio-ffmpeg); a .gif needs nothing more"
        )
    if not path.parent.is_dir():
        raise EvalError(f"--record: directory '{path.parent}' does not exist")
    if path.is_dir():
        raise EvalError(f"--record: '{path}' is a directory")
    return path


class Recorder:
    """Collects frames (keeping every `every`-th, resized by `scale`) up to `max_frames`, then writes the file."""

    def __init__(self, path: Path, fps: float, every: int = 1, scale: float = 1.0, max_frames: int = MAX_FRAMES):
        self.path = Path(path)
        self.fps = fps / every  # the recording still plays in real time
        self.every = every
        self.scale = scale
        self.max_frames = max_frames
        self.offered = 0  # frames offered, kept or not
        self.frames = 0  # frames kept
        self.capped = False  # frames were offered past max_frames and dropped

    @property
    def full(self) -> bool:
        return self.frames >= self.max_frames

    def offer(self, render: Callable[[], np.ndarray]) -> None:
        """The next frame of the episode; `render()` (RGB [H, W, 3] uint8) is only called for frames that are kept."""
        index = self.offered
        self.offered += 1
        if index % self.every:
            return
        if self.full:
            self.capped = True
            return
        self._add(self._resized(np.asarray(render(), dtype=np.uint8)))
        self.frames += 1

    def _resized(self, frame: np.ndarray) -> np.ndarray:
        if self.scale == 1.0:
            return frame
        from PIL import Image

        h, w = frame.shape[:2]
        size = (max(1, round(w * self.scale)), max(1, round(h * self.scale)))
        return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))

    def _add(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def close(self) -> Path:
        raise NotImplementedError

    def abort(self) -> None:
        """Give up: nothing is written."""


class GifRecorder(Recorder):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._images: list = []

    def _add(self, frame: np.ndarray) -> None:
        from PIL import Image

        self._images.append(Image.fromarray(frame).convert("P", palette=Image.Palette.ADAPTIVE, colors=256))

    def close(self) -> Path:
        if not self._images:
            raise EvalError("no frames were recorded")
        # GIF delays are whole hundredths of a second; browsers slow anything under 20 ms down to 100 ms.
        duration = max(20, int(round(100.0 / self.fps)) * 10)
        try:
            with AtomicWrite(self.path) as tmp:
                first, rest = self._images[0], self._images[1:]
                first.save(
                    tmp,
                    format="GIF",
                    save_all=True,
                    append_images=rest,
                    duration=duration,
                    loop=0,
                    optimize=False,
                    disposal=1,
                )
        finally:
            self._images = []
        return self.path


class Mp4Recorder(Recorder):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._writer = None
        self._file = AtomicWrite(self.path)  # frames stream into its temporary file as they come

    def _add(self, frame: np.ndarray) -> None:
        if self._writer is None:
            import imageio.v2 as imageio

            self._writer = imageio.get_writer(
                self._file.tmp,
                format="FFMPEG",
                fps=self.fps,
                codec="libx264",
                quality=7,
                pixelformat="yuv420p",
                macro_block_size=2,
            )
        h, w = frame.shape[:2]
        self._writer.append_data(frame[: h - h % 2, : w - w % 2])  # yuv420p needs even sides: drop an odd edge

    def close(self) -> Path:
        if self._writer is None:
            raise EvalError("no frames were recorded")
        writer, self._writer = self._writer, None
        try:
            writer.close()
            return self._file.commit()
        finally:
            self._file.discard()  # after a failed close; a no-op after the commit

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._file.discard()


def open_recorder(path: Path, fps: float, every: int = 1, scale: float = 1.0, max_frames: int = MAX_FRAMES) -> Recorder:
    cls = Mp4Recorder if Path(path).suffix.lower() == ".mp4" else GifRecorder
    return cls(path, fps, every=every, scale=scale, max_frames=max_frames)
