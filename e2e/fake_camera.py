"""A camera that films a picture of the test's choosing: Chromium's fake capture device
plays a Y4M file (`--use-file-for-fake-video-capture`), so a QR code one page shows can
be held up to another page's camera.

    luma, width, height = luma_of_canvas(new_device.page, "canvas.qr")
    y4m_from_luma(luma, width, height, tmp_path / "code.y4m")
    browser = launch_with_camera(browser_type, browser_type_launch_args, tmp_path / "code.y4m")
"""

from pathlib import Path

from e2e.lab.browser import MEDIA_ARGS

FILE_SWITCH = "--use-file-for-fake-video-capture"
# How much of the frame's height the picture should cover: a code held up to a phone.
FILL = 0.6
WHITE, NEUTRAL_CHROMA = 255, 128


def y4m_from_luma(
    luma: bytes,
    width: int,
    height: int,
    path: Path,
    frame_width: int = 640,
    frame_height: int = 480,
    frames: int = 30,
) -> Path:
    """Write a grey 4:2:0 Y4M video of `frames` identical frames: the `width`×`height`
    grey image (one byte a pixel), enlarged by a whole factor (nearest neighbour keeps
    module edges sharp for the decoder) to about FILL of the height, centred on white."""
    if len(luma) != width * height:
        raise ValueError(f"{len(luma)} bytes of luma for a {width}x{height} image")
    if frame_width % 2 or frame_height % 2:
        raise ValueError("4:2:0 needs an even frame size")
    factor = max(1, round(FILL * frame_height / height))
    while factor > 1 and (width * factor > frame_width or height * factor > frame_height):
        factor -= 1
    if width * factor > frame_width or height * factor > frame_height:
        raise ValueError(f"{width}x{height} does not fit in {frame_width}x{frame_height}")
    left = (frame_width - width * factor) // 2
    top = (frame_height - height * factor) // 2

    plane = bytearray([WHITE]) * (frame_width * frame_height)
    for y in range(height):
        source = luma[y * width : (y + 1) * width]
        row = bytes(value for value in source for _ in range(factor))
        for repeat in range(factor):
            start = (top + y * factor + repeat) * frame_width + left
            plane[start : start + len(row)] = row
    chroma = bytes([NEUTRAL_CHROMA]) * (frame_width // 2 * frame_height // 2 * 2)
    frame = b"FRAME\n" + bytes(plane) + chroma

    header = f"YUV4MPEG2 W{frame_width} H{frame_height} F30:1 Ip A1:1 C420jpeg\n"
    with open(path, "wb") as out:
        out.write(header.encode("ascii"))
        for _ in range(frames):
            out.write(frame)
    return path


def luma_of_canvas(page, selector: str) -> tuple[bytes, int, int]:
    """The grey levels (BT.601: 0.299 R + 0.587 G + 0.114 B) of a <canvas> on `page`,
    one byte a pixel, with its width and height. Transparent pixels count as white, as
    they look on the page's light background."""
    width, height, rgba = page.eval_on_selector(
        selector,
        """(canvas) => {
            const { width, height } = canvas;
            const { data } = canvas.getContext('2d').getImageData(0, 0, width, height);
            return [width, height, Array.from(data)];
        }""",
    )
    luma = bytearray(width * height)
    for i in range(width * height):
        r, g, b, a = rgba[4 * i : 4 * i + 4]
        grey = 0.299 * r + 0.587 * g + 0.114 * b
        luma[i] = round((grey * a + WHITE * (255 - a)) / 255)
    return bytes(luma), width, height


def launch_with_camera(playwright_browser_type, launch_args: dict, y4m_path: Path):
    """A Browser launched like the test browsers (`launch_args`, e.g. pytest-playwright's
    browser_type_launch_args) whose camera films `y4m_path` (looping). Its one camera
    is the file: the fake devices' `device-count` does not apply to it.

    Chromium opens the file when a page starts the camera, not at launch, and again at
    each start (checked with Chromium 156): the file may be written, or rewritten, after
    launch and before getUserMedia. A missing file then fails getUserMedia."""
    args = [arg for arg in launch_args.get("args", []) if not arg.startswith(FILE_SWITCH)]
    # The file stands in for the fake device, so that switch must stay; the fake UI
    # grants the camera without a prompt. No --disable-features here: Chromium keeps only
    # the last one, and Playwright passes its own.
    for switch in MEDIA_ARGS:
        if not any(arg.split("=")[0] == switch.split("=")[0] for arg in args):
            args.append(switch)
    args.append(f"{FILE_SWITCH}={Path(y4m_path).resolve()}")
    return playwright_browser_type.launch(**{**launch_args, "args": args})
