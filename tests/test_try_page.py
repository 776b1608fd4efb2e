"""The Try-it page (web/try/) in headless Chromium with a fake camera showing the astronaut:
every variant runs on every browser runtime that has a form of it (onnxruntime-web: ONNX,
LiteRT.js: TFLite, TensorFlow.js: TFJS; wasm) and finds the keypoints the Python pipeline finds,
BlazePose through its detector, MultiPose at least one person; the page asks only its own site
for static files, nothing once the model runs, and never sends a body. By default each stage
runs on the build's choice (`browser_runtime`, the fastest measured), named on the page with the
other runtimes one click away; `&runtime=` forces one, the int8 form runs on onnxruntime-web,
WebGPU's absence is said, and the cold start's parts are timed. At a desktop's and a phone's
width the page fits the width, prompts before a picture, and runs the chosen model on the sample
photo (fetched when the site is built, never committed), counting the people it draws; embedded
in the app, its frame is as tall as the page, timings included. The site is built once per
session from the test zoo and served by `posezoo preview`'s server (COOP/COEP)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from catalog.formats import INT8_FORMAT
from catalog.pose.top_down import PERSON_MIN_SCORE
from catalog.publish import formatting
from catalog.publish.formatting import TRADE_LEAD
from catalog.schema import VariantRecord
from tests.test_site_browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, SCREENSHOTS, _stage, sync_playwright

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH or at /usr/bin/chromium"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install 'posezoo[dev]')"),
]

FRAMES = 20
TOLERANCE = 0.02  # of the image's size
COMPARED = {  # the keypoints compared with Python, where the schema has them
    "coco-17": ["nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder"],
    "blazepose-33": ["nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder"],
    "mpii-16": ["head_top", "upper_neck", "left_shoulder", "right_shoulder"],
}
SCREENSHOT_OF = {"movenet-lightning", "blazepose-full", "efficientpose-i"}
# the browser runtimes and the form each runs (web/try/runtimes/adapter.js's RUNTIMES)
RUNTIME_FORMS = {"onnxruntime-web": "onnx", "litert.js": "tflite", "tfjs": "tfjs"}
TIMINGS = SCREENSHOTS / "try-timings.json"
WAIT_MS = 60_000


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def write_y4m(image: np.ndarray, path: Path, frames: int = FRAMES) -> Path:
    """`image` (RGB, even sides) as a YUV4MPEG2 4:2:0 video of `frames` identical frames (BT.601, limited range)."""
    rgb = image.astype(np.float64) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + 65.481 * r + 128.553 * g + 24.966 * b
    u = 128 - 37.797 * r - 74.203 * g + 112.0 * b
    v = 128 + 112.0 * r - 93.786 * g - 18.214 * b

    def half(plane: np.ndarray) -> np.ndarray:
        return (plane[0::2, 0::2] + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]) / 4

    planes = [np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, half(u), half(v))]
    height, width = image.shape[:2]
    frame = b"FRAME\n" + b"".join(p.tobytes() for p in planes)
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return path


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def try_site(built_zoo, tmp_path_factory):
    """(site folder, build folder, catalog document): the test zoo's site, without the notebook."""
    from catalog.publish.site import build_site

    result, document = built_zoo
    build = _stage(result.catalog_path.parent, document, tmp_path_factory.mktemp("try") / "build")
    return build_site(build, notebook=False), result.catalog_path.parent, document


@pytest.fixture(scope="session")
def try_served(try_site):
    from catalog.publish.preview import make_server

    server = make_server(try_site[0], 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def camera_browser(tmp_path_factory, playwright_driver):
    video = write_y4m(astronaut(), tmp_path_factory.mktemp("camera") / "astronaut.y4m")
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def python_poses(try_site):
    """Python's poses on the astronaut, by variant id (computed once each), each variant run as
    the page runs it: as its record's `use` says (top-down behind its person detector, or alone)."""
    from catalog.pose.top_down import as_meant

    image = astronaut()
    found: dict[str, list] = {}

    def get(variant_id: str):
        if variant_id not in found:
            found[variant_id] = as_meant(variant_id, try_site[1])(image)
        return found[variant_id]

    return get


def on_crop(variant_id: str, build, box):
    """Python's pose of a single-person variant on the astronaut's crop around `box` (x0, y0, x1, y1, normalised)."""
    from catalog.pose import PoseEstimator
    from catalog.pose.poses import to_pose
    from catalog.pose.top_down import person_crop

    model = PoseEstimator.from_catalog(variant_id, build).model
    image = astronaut()
    decoded, frame = model.run(image, person_crop(image.shape[:2], tuple(box)))
    return to_pose(decoded[0], frame, model.variant.keypoints.names)


@pytest.fixture(scope="session")
def timings():
    measured: dict[str, dict] = {}
    yield measured
    if measured:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        TIMINGS.write_text(json.dumps(measured, indent=2) + "\n", "utf-8")


class TryVisit:
    """A page of its own (a fresh browser context) with every request and error recorded."""

    def __init__(self, browser, base: str, context=None):
        self.base = base
        self.context = context or browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.requests: list[dict] = []
        self.sockets: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._record)
        self.page.on("websocket", lambda socket: self.sockets.append(socket.url))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))

    def _record(self, request) -> None:
        self.requests.append({"url": request.url, "method": request.method, "body": request.post_data_buffer})

    def open(self, query: str):
        self.page.goto(f"{self.base}try/{query}", wait_until="load")
        return self.page

    def state(self) -> dict:
        return self.page.evaluate("JSON.parse(JSON.stringify(window.posezooTry))")

    def wait_for_picture(self, frames: int = 2) -> dict:
        """The page's state once it has run `frames` frames of the picture itself: the fake
        camera's first frames may be black, so the count starts once the canvas shows more than
        black; fails on the page's error."""
        self.page.wait_for_function(
            """() => { const s = window.posezooTry;
                if (s?.status === 'error') return true;
                if (!s?.frames) return false;
                const c = document.getElementById('canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let sum = 0;
                for (let i = 0; i < d.length; i += 4 * 97) sum += d[i] + d[i + 1] + d[i + 2];
                return sum / (3 * d.length / (4 * 97)) > 20; }""",
            timeout=WAIT_MS,
        )
        start = self.state()
        assert start["status"] != "error", start["error"]
        self.page.wait_for_function(
            f"window.posezooTry.status === 'error' || window.posezooTry.frames >= {start['frames'] + frames}",
            timeout=WAIT_MS,
        )
        state = self.state()
        assert state["status"] != "error", state["error"]
        assert state["poses"], "nobody found"
        return state

    def check_requests(self, site: Path) -> None:
        """Only GETs without a body, of this origin's static files that exist in the site; no socket."""
        origin = urlparse(self.base).netloc
        assert self.sockets == []
        for request in self.requests:
            url = urlparse(request["url"])
            if url.scheme in ("data", "blob"):
                continue
            assert url.netloc == origin, request["url"]
            assert request["method"] == "GET" and not request["body"], request
            path = url.path.lstrip("/")
            target = site / path / "index.html" if path.endswith("/") or not path else site / path
            assert target.is_file(), request["url"]

    def close(self) -> None:
        self.context.close()


def runnable(document: dict) -> list[dict]:
    return [v for v in document["variants"] if v["status"] == "ok" and v["role"] == "model" and v.get("formats")]


def by_id(document: dict, variant_id: str) -> dict:
    return next(v for v in document["variants"] if v["id"] == variant_id)


def form_paths(variant: dict, form: str) -> list[str]:
    """Every file of a variant's form, relative to the catalog: its own, then a TFJS graph's weights."""
    record = variant["formats"][form]
    return [record["path"], *(f["path"] for f in record.get("files", []) if f["path"] != record["path"])]


def models_fetched(visit: TryVisit) -> set[str]:
    """The model files the page asked for, relative to the site."""
    paths = {urlparse(r["url"]).path.lstrip("/") for r in visit.requests}
    return {p for p in paths if p.startswith("models/")}


# the default zoo's single-person variants (test_every_single_person_variant_is_tested checks the list)
SINGLE = [
    "movenet-lightning",
    "movenet-thunder",
    "posenet-mobilenet-v1",
    "efficientpose-rt",
    "efficientpose-rt-lite",
    "efficientpose-i",
    "efficientpose-i-lite",
    "efficientpose-ii",
    "efficientpose-ii-lite",
    "efficientpose-ii-lite-tfjs",
    "blazepose-lite",
    "blazepose-full",
    "blazepose-heavy",
    "pose-landmarker-full",
]
# those whose original is a TFJS graph: TensorFlow.js runs them too (every variant has ONNX and TFLite forms)
TFJS_ORIGINALS = {"movenet-lightning", "movenet-thunder", "posenet-mobilenet-v1", "efficientpose-ii-lite-tfjs"}
RUNS_ON = [
    (variant_id, runtime)
    for variant_id in SINGLE
    for runtime in RUNTIME_FORMS
    if runtime != "tfjs" or variant_id in TFJS_ORIGINALS
]


# --------------------------------------------------------------------------- the tests


def test_site_has_the_page_its_runtimes_and_the_headers(try_site):
    from catalog.measure.browser import RUNTIMES
    from catalog.publish.site import ORT_FILES

    site, build, document = try_site
    pages = ("index.html", "main.js", "choice.js", "support.js", "runtimes/adapter.js", "runtimes/ort.js")
    for name in (*pages, "runtimes/litert.js", "runtimes/tfjs.js"):
        assert (site / "try" / name).is_file()
    assert (site / "pose" / "pipeline.js").is_file()
    # each runtime's files, copied from node_modules: only those it loads
    assert sorted(p.name for p in (site / "try" / "ort").iterdir()) == sorted(ORT_FILES)
    for folder, runtime in (("litert", "litert.js"), ("tfjs", "tfjs")):
        expected = {served: source for source, served in RUNTIMES[runtime].files}
        found = {p.relative_to(site / "try").as_posix() for p in (site / "try" / folder).rglob("*") if p.is_file()}
        assert found == set(expected), folder
        for served, source in expected.items():
            assert (site / "try" / served).read_bytes() == source.read_bytes()
    # LiteRT.js imports its helper by bare name: the import map comes before any module script
    index = (site / "try" / "index.html").read_text("utf-8")
    assert '"@litertjs/wasm-utils": "./litert/wasm-utils/index.js"' in index
    assert index.index('type="importmap"') < index.index('type="module"')
    assert json.loads((site / "catalog.json").read_text("utf-8")) == document
    for variant in runnable(document):
        for form in ("onnx", INT8_FORMAT, "tflite", "tfjs"):  # every form a runtime runs
            if form in variant["formats"]:
                for path in form_paths(variant, form):
                    assert (site / path).read_bytes() == (build / path).read_bytes()
    headers = (site / "_headers").read_text("utf-8")
    assert "Cross-Origin-Opener-Policy: same-origin" in headers
    assert "Cross-Origin-Embedder-Policy: require-corp" in headers
    card = (site / "zoo" / "movenet-lightning" / "index.html").read_text("utf-8")
    assert 'href="../../try/?model=movenet-lightning"' in card
    assert (site / "try-it" / "index.html").is_file()


def test_every_single_person_variant_is_tested(try_site):
    document = try_site[2]
    assert sorted(v["id"] for v in runnable(document) if v["task"].startswith("single-person")) == sorted(SINGLE)
    # on every runtime that has a form of it
    for variant_id in SINGLE:
        formats = by_id(document, variant_id)["formats"]
        has = {runtime for runtime, form in RUNTIME_FORMS.items() if form in formats}
        assert has == {runtime for v, runtime in RUNS_ON if v == variant_id}, variant_id


@pytest.mark.parametrize(("variant_id", "runtime"), RUNS_ON, ids=[f"{v}-{r}" for v, r in RUNS_ON])
def test_camera_keypoints_match_python(
    variant_id, runtime, camera_browser, try_served, try_site, python_poses, timings
):
    site, _, document = try_site
    variant = by_id(document, variant_id)
    form = RUNTIME_FORMS[runtime]
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.open(f"?model={variant_id}&runtime={runtime}&input=camera")
        visit.wait_for_picture(0)  # the model is loaded and has run on the picture
        loaded = len(visit.requests)
        state = visit.wait_for_picture(1)
        assert visit.requests[loaded:] == []  # nothing is fetched, let alone sent, while the model runs
        visit.check_requests(site)
        assert visit.errors == []

        assert (state["model"], state["runtime"], state["backend"]) == (variant_id, runtime, "wasm")
        assert state["file"] == variant["formats"][form]["path"]
        # every stage on the runtime asked for, where it has its form (a detector without it: its default)
        for stage in state["stages"]:
            record = by_id(document, stage["id"])
            if form in record["formats"]:
                assert (stage["runtime"], stage["form"], stage["why"]) == (runtime, form, "asked"), stage
            assert stage["files"] == form_paths(record, stage["form"])
            assert stage["url"] == try_served + stage["file"]
        assert models_fetched(visit) == {path for stage in state["stages"] for path in stage["files"]}
        assert page.evaluate("crossOriginIsolated") is True
        assert state["threads"] == page.evaluate("navigator.hardwareConcurrency")
        assert state["input"] == {"kind": "camera", "width": 512, "height": 512}
        assert state["inference_ms"] > 0
        parts = ("runtime_ms", "download_ms", "session_ms", "first_inference_ms", "keypoints_ms")
        assert all(state["cold"][k] > 0 for k in parts), state["cold"]

        pose = state["poses"][0]
        expected = python_poses(variant_id)[0]
        if (variant.get("use") or {}).get("mode") == "top-down":
            # the camera hands the page a YUV 4:2:0 frame, not the PNG's pixels: the detector's box moves
            # a little and the crop with it; compare the model on the crop of the box the page found
            expected = on_crop(variant_id, try_site[1], pose["detection"]["box"])
        got = {k["name"]: (k["x"], k["y"]) for k in pose["keypoints"]}
        for name in COMPARED[variant["keypoints"]["schema"]]:
            x, y = expected[name]
            assert abs(got[name][0] - x) <= TOLERANCE and abs(got[name][1] - y) <= TOLERANCE, (name, got[name], (x, y))
        if variant.get("detector"):
            assert pose["detection"]["box"] is not None  # BlazePose ran its detector, then the landmarks
            assert len(pose["detection"]["box"]) == 4
        timings[f"{variant_id} on {runtime}"] = {
            "inference_ms": round(state["inference_ms"], 2),
            "fps": round(state["fps"], 1) if state["fps"] else None,
            "threads": state["threads"],
            "backend": state["backend"],
            "stages": {stage["id"]: stage["runtime"] for stage in state["stages"]},
            **{k: round(v, 1) for k, v in state["cold"].items() if isinstance(v, float)},
        }
        if variant_id in SCREENSHOT_OF:
            if variant["keypoints"]["schema"] == "mpii-16":  # EfficientPose's heatmap peaks score low: show them
                page.eval_on_selector("#threshold", "t => { t.value = '0.05'; t.dispatchEvent(new Event('input')); }")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"try-{variant_id}-{runtime}.png"), full_page=True)
    finally:
        visit.close()


def test_the_int8_form_runs_on_request_and_finds_what_python_int8_finds(camera_browser, try_served, try_site, timings):
    from catalog.pose.top_down import as_meant

    site, build, document = try_site
    variant = next(v for v in document["variants"] if v["id"] == "movenet-lightning")
    int8 = variant["formats"][INT8_FORMAT]
    visit = TryVisit(camera_browser, try_served)
    try:
        # int8 and LiteRT.js asked for together: the int8 form runs on onnxruntime-web, the one runtime
        # that runs it, and says so; the float person detector runs on LiteRT.js, as asked
        page = visit.open("?model=movenet-lightning&precision=int8&runtime=litert.js&input=camera")
        state = visit.wait_for_picture(1)
        assert (state["model"], state["precision"], state["file"]) == ("movenet-lightning", "int8", int8["path"])
        detector = variant["use"]["detector"]
        stages = [(s["id"], s["runtime"], s["form"], s["why"]) for s in state["stages"]]
        assert stages == [
            (detector, "litert.js", "tflite", "asked"),
            ("movenet-lightning", "onnxruntime-web", INT8_FORMAT, "int8"),
        ]
        assert (state["runtime"], state["detector_runtime"]) == ("onnxruntime-web", "litert.js")
        said = page.inner_text("#runtime-choice")
        assert "movenet-lightning runs its int8 form on onnxruntime-web, the one runtime that runs it;" in said
        assert page.inner_text("#runtime-used") == "onnxruntime-web"
        assert page.inner_text("#detector-runtime-used") == "LiteRT.js"
        # top-down: the int8 form, and the float person detector whose people it runs on
        people = by_id(document, detector)["formats"]["tflite"]
        assert models_fetched(visit) == {int8["path"], people["path"]}
        assert "precision=int8" in page.url and page.input_value("#precision") == "int8"
        trade, record = page.inner_text("#int8-trade"), variant["int8"]
        assert f"{record['size_ratio']:.2f}× the size" in trade, trade
        said = formatting.trade(VariantRecord.model_validate(variant))
        assert trade == f"{TRADE_LEAD}: {said}."  # the card's sentence, to the digit
        downloads = (int8["size_bytes"] + people["size_bytes"]) / 2**20
        said = f"Downloads {downloads:.2f} MiB: the movenet-lightning int8 model and movenet-multipose (float)"
        assert said in page.inner_text("#model-size")

        expected = as_meant("movenet-lightning", build, precision="int8")(astronaut())[0]
        got = {k["name"]: (k["x"], k["y"]) for k in state["poses"][0]["keypoints"]}
        for name in COMPARED["coco-17"]:
            x, y = expected[name]
            assert abs(got[name][0] - x) <= TOLERANCE and abs(got[name][1] - y) <= TOLERANCE, (name, got[name], (x, y))
        visit.check_requests(site)
        assert visit.errors == []
        timings["movenet-lightning int8"] = {
            "inference_ms": round(state["inference_ms"], 2),
            "threads": state["threads"],
        }
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "try-movenet-lightning-int8.png"), full_page=True)

        # a model without an int8 form: the choice is off, and the catalog's reason is shown
        without = [v for v in runnable(document) if INT8_FORMAT not in v["formats"]]
        if without:
            page.select_option("#model", without[0]["id"])
            assert page.eval_on_selector("#precision option[value=int8]", "o => o.disabled") is True
            assert page.input_value("#precision") == "float"
            assert page.inner_text("#int8-trade") == f"No int8 form: {without[0]['int8']['reason']}."
    finally:
        visit.close()


def test_multipose_finds_a_person(camera_browser, try_served, try_site, timings):
    visit = TryVisit(camera_browser, try_served)
    try:
        visit.open("?model=movenet-multipose&input=camera")
        state = visit.wait_for_picture()
        assert state["poses"] and state["poses"][0]["score"] > 0.3
        assert len(state["poses"][0]["keypoints"]) == 17
        visit.check_requests(try_site[0])
        assert visit.errors == []
        timings["movenet-multipose"] = {"inference_ms": round(state["inference_ms"], 2), "threads": state["threads"]}
    finally:
        visit.close()


def test_image_file_and_the_cache(camera_browser, try_served, try_site, python_poses, tmp_path):
    from PIL import Image

    photo = tmp_path / "astronaut.png"
    Image.fromarray(astronaut()).save(photo)
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.open("?model=movenet-lightning")
        page.wait_for_function("window.posezooTry.model === 'movenet-lightning'", timeout=WAIT_MS)
        assert visit.state()["cold"]["cached"] is False
        page.set_input_files("#file", str(photo))
        state = visit.wait_for_picture(0)  # one frame: the image
        assert state["input"] == {"kind": "image", "width": 512, "height": 512}
        expected = python_poses("movenet-lightning")[0]
        for keypoint in state["poses"][0]["keypoints"]:
            x, y = expected[keypoint["name"]]
            assert abs(keypoint["x"] - x) <= 1e-3 and abs(keypoint["y"] - y) <= 1e-3, keypoint  # the same pixels
        assert page.locator("#keypoints tbody tr").count() == 17

        # a second visit takes the model from Cache Storage: no download; the cold start's parts, timed
        before = len(visit.requests)
        page.goto(f"{try_served}try/?model=movenet-lightning&input=sample", wait_until="load")
        state = visit.wait_for_picture(0)
        cold = state["cold"]
        assert cold["cached"] is True
        assert not [r for r in visit.requests[before:] if "/models/" in r["url"]]
        assert all(cold[k] > 0 for k in ("runtime_ms", "download_ms", "session_ms", "first_inference_ms"))
        # the choice waits for the runtime (started alongside the files' read) and the sessions, then
        # the first frame: its inference, preprocessing and drawing
        assert cold["ready_ms"] >= max(cold["runtime_ms"], cold["download_ms"], cold["session_ms"]) - 1
        assert cold["keypoints_ms"] >= cold["ready_ms"] + cold["frame_ms"] - 1
        assert cold["frame_ms"] >= cold["first_inference_ms"]
        for part in ("runtime-ms", "download-ms", "session-ms", "first-ms", "keypoints-ms"):
            assert page.inner_text(f"#{part}").endswith(("ms", "ms (cached)")), part
        visit.check_requests(try_site[0])
        assert visit.errors == []
    finally:
        visit.close()


RECORD_WEBM = """async (dataUrl) => {
    // a 2-second WebM (VP8) of the photo, recorded by the browser itself from a canvas
    const image = new Image();
    image.src = dataUrl;
    await image.decode();
    const canvas = Object.assign(document.createElement('canvas'), { width: image.width, height: image.height });
    const context = canvas.getContext('2d');
    const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm;codecs=vp8' });
    const chunks = [];
    recorder.ondataavailable = (event) => chunks.push(event.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start();
    const timer = setInterval(() => context.drawImage(image, 0, 0), 50);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    recorder.stop();
    await stopped;
    clearInterval(timer);
    const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
}"""


def test_video_file(camera_browser, try_served, try_site, python_poses, tmp_path):
    import base64
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(astronaut()).save(png, format="PNG")
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.open("?model=movenet-lightning")
        page.wait_for_function("window.posezooTry.model === 'movenet-lightning'", timeout=WAIT_MS)
        data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
        video = tmp_path / "astronaut.webm"
        video.write_bytes(base64.b64decode(page.evaluate(RECORD_WEBM, data_url)))
        page.set_input_files("#file", str(video))
        state = visit.wait_for_picture()
        assert state["input"] == {"kind": "video", "width": 512, "height": 512}
        expected = python_poses("movenet-lightning")[0]
        for keypoint in state["poses"][0]["keypoints"]:
            if keypoint["name"] in COMPARED["coco-17"]:  # the video is lossy: near the photo's answer, not equal
                x, y = expected[keypoint["name"]]
                assert abs(keypoint["x"] - x) <= TOLERANCE and abs(keypoint["y"] - y) <= TOLERANCE, keypoint
        page.screenshot(path=str(SCREENSHOTS / "try-video-file.png"), full_page=True)
        visit.check_requests(try_site[0])
        assert visit.errors == []
    finally:
        visit.close()


def test_unknown_model_and_missing_webgpu_are_said(camera_browser, try_served):
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.open("?model=no-such-model&backend=webgpu")
        page.wait_for_function("window.posezooTry.status === 'error'", timeout=WAIT_MS)
        assert "no-such-model" in page.inner_text("#message")
        assert "WebGPU is not available" in page.inner_text("#runtime-note")
        assert visit.state()["backend"] == "wasm"
        options = page.eval_on_selector_all("#model option", "o => o.map(x => x.value)")
        assert "blazepose-detector" not in options and "movenet-lightning" in options
    finally:
        visit.close()


@pytest.mark.parametrize("runtime", ["litert.js", "onnxruntime-web"])
def test_webgpu_asked_for_without_an_adapter_runs_on_wasm_and_says_so(runtime, camera_browser, try_served):
    """WebGPU runs onnxruntime-web and LiteRT.js where the browser gives an adapter; headless
    Chromium gives none: the page says so, and the model runs on wasm."""
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.open(f"?model=movenet-multipose&backend=webgpu&runtime={runtime}&input=sample")
        state = visit.wait_for_picture(0)
        note = page.inner_text("#runtime-note")
        assert "WebGPU is not available: " in note and "; running on wasm." in note, note
        assert state["backend"] == "wasm" and [s["backend"] for s in state["stages"]] == ["wasm"]
        assert state["runtime"] == runtime and page.inner_text("#backend-used") == "wasm (SIMD)"
        assert page.eval_on_selector("#backend option[value=webgpu]", "o => o.disabled") is True
        assert visit.errors == []
    finally:
        visit.close()


def test_a_runtime_the_model_has_no_form_for_or_none_at_all_is_said(camera_browser, try_served, try_site):
    without = "blazepose-lite"  # a TFLite original: no TFJS form
    assert "tfjs" not in by_id(try_site[2], without)["formats"]
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.open(f"?model={without}&runtime=tfjs")
        page.wait_for_function(f"window.posezooTry.model === '{without}'", timeout=WAIT_MS)
        said = f"TensorFlow.js has no form of {without} (no tfjs file): running each stage's default."
        assert page.inner_text("#message") == said
        assert page.eval_on_selector("#runtime option[value=tfjs]", "o => o.disabled") is True
        assert all(s["why"] in ("catalog", "unmeasured") for s in visit.state()["stages"])

        page.goto(f"{try_served}try/?model=movenet-multipose&runtime=no-such-runtime", wait_until="load")
        page.wait_for_function("window.posezooTry.model === 'movenet-multipose'", timeout=WAIT_MS)
        message = page.inner_text("#message")
        assert message.startswith("No runtime no-such-runtime here (onnxruntime-web, litert.js, tfjs)"), message
        assert visit.errors == []
    finally:
        visit.close()


# --------------------------------------------------------------------------- the sample photo


def test_the_sample_photo_is_the_pinned_one_fetched_not_committed(try_site, tmp_path):
    """The sample is the evaluation set's astronaut, fetched into the cache (not git) and verified by
    its sha256; sample.json names it and says where it comes from and its license."""
    from catalog.digest import sha256_file
    from catalog.fetch.eval_images import DEFAULT_SOURCES
    from catalog.publish.try_sample import SAMPLE_ID, find_sample, sample_entry, sample_files

    entry = sample_entry(DEFAULT_SOURCES)
    sample = find_sample(cache=tmp_path)
    assert sample.image is not None and sha256_file(sample.image) == entry["sha256"]
    assert sample.image.is_relative_to(tmp_path)
    caption = sample.info["caption"]
    assert entry["package"]["name"] in caption and entry["license"]["status"] in caption and "NASA" in caption
    files = sample_files("try", cache=tmp_path)
    assert json.loads(files[Path("try/sample.json")].read_text("utf-8")) == sample.info
    assert files[Path("try") / sample.info["file"]] == sample.image
    site = try_site[0]
    assert sha256_file(site / "try" / sample.info["file"]) == entry["sha256"]
    assert json.loads((site / "try" / "sample.json").read_text("utf-8"))["caption"] == caption
    pictures = [p for p in (Path(__file__).parents[1] / "web").rglob("*") if p.suffix.lower() in (".png", ".jpg")]
    assert pictures == [], "the sample photo is fetched when the site is built, never committed"
    assert SAMPLE_ID == entry["id"]


def test_a_sample_that_cannot_be_had_is_one_line(tmp_path):
    from catalog.fetch.eval_images import DEFAULT_SOURCES
    from catalog.publish.try_sample import find_sample, sample_entry, sample_files

    unpinned = tmp_path / "unpinned.json"
    unpinned.write_text(json.dumps({"images": []}), "utf-8")
    assert find_sample(unpinned, tmp_path).info == {"problem": "unpinned.json pins no image ski-astronaut"}

    altered = tmp_path / "altered.json"  # the package's photo no longer has the pinned sha256
    altered.write_text(json.dumps({"images": [{**sample_entry(DEFAULT_SOURCES), "sha256": "0" * 64}]}), "utf-8")
    sample = find_sample(altered, tmp_path / "cache")
    assert sample.image is None and "sha256 mismatch" in sample.info["problem"]
    assert "\n" not in sample.info["problem"]
    files = sample_files("try", altered, tmp_path / "cache")
    assert list(files) == [Path("try/sample.json")]  # the JSON says why; no photo
    assert json.loads(files[Path("try/sample.json")].read_text("utf-8")) == sample.info


# --------------------------------------------------------------------------- at a desktop's and a phone's width

WIDTHS = pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["desktop", "phone"])
CONTROLS = ("#model", "#load", "#camera-start", "#file", "#sample", "#threads", "#threshold")


def sized_visit(browser, base: str, width: int) -> TryVisit:
    return TryVisit(browser, base, browser.new_context(viewport={"width": width, "height": 900}))


def assert_in_view_sideways(page, width: int, selectors) -> None:
    """No sideways scrolling, and each element shown whole across the width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert page.locator(selector).is_visible() and box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)


def set_threshold(page, value: float) -> None:
    page.eval_on_selector("#threshold", f"t => {{ t.value = '{value}'; t.dispatchEvent(new Event('input')); }}")


@WIDTHS
def test_before_a_picture_the_page_says_what_to_do(camera_browser, try_served, width):
    visit = sized_visit(camera_browser, try_served, width)
    try:
        page = visit.open("")
        page.wait_for_function("window.posezooTry.status === 'ready'", timeout=WAIT_MS)
        assert page.locator("#canvas").is_hidden()  # no empty black box
        prompt = page.inner_text("#prompt")
        assert "Start your camera" in prompt and "sample photo" in prompt
        assert_in_view_sideways(page, width, [*CONTROLS, "#prompt", "#prompt-camera", "#prompt-sample"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"try-prompt-{width}.png"), full_page=True)
        assert visit.errors == []
    finally:
        visit.close()


@WIDTHS
def test_the_sample_photo_runs_the_chosen_model_and_counts_the_people_drawn(
    camera_browser, try_served, try_site, width
):
    visit = sized_visit(camera_browser, try_served, width)
    try:
        page = visit.open("")
        page.wait_for_function("window.posezooTry.status === 'ready'", timeout=WAIT_MS)
        page.select_option("#model", "movenet-multipose")
        page.click("#prompt-sample")  # loads the chosen model, then runs it on the photo
        state = visit.wait_for_picture(0)
        assert state["model"] == "movenet-multipose"
        assert state["input"] == {"kind": "sample", "width": 512, "height": 512}
        # MultiPose returns six people, one of them above the threshold: the one drawn and counted
        threshold = float(page.input_value("#threshold"))
        assert len(state["poses"]) > 1 and [p["score"] >= threshold for p in state["poses"]].count(True) == 1
        assert state["people"] == 1 and page.inner_text("#people") == "1"
        set_threshold(page, 0)
        assert page.inner_text("#people") == str(len(state["poses"]))  # the count follows what is drawn
        set_threshold(page, threshold)
        assert page.inner_text("#people") == "1"

        caption = page.inner_text("#sample-caption")
        assert "scikit-image" in caption and "public domain" in caption
        assert page.locator("#prompt").is_hidden()
        assert_in_view_sideways(page, width, [*CONTROLS, "#canvas", "#sample-caption", "#figures", "#cold"])
        assert page.eval_on_selector("#inference-ms", "e => e.textContent").endswith(" ms")
        visit.check_requests(try_site[0])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"try-sample-{width}.png"), full_page=True)
        assert visit.errors == []
    finally:
        visit.close()


def test_a_model_behind_a_detector_counts_the_people_its_detector_drew(camera_browser, try_served):
    visit = TryVisit(camera_browser, try_served)
    try:
        visit.open("?model=movenet-lightning&input=sample")  # the deep link to the sample
        state = visit.wait_for_picture(0)
        assert state["input"]["kind"] == "sample" and state["detector_file"] is not None
        # MultiPose's empty slots (scores about 0) are never cropped: PERSON_MIN_SCORE, as in Python
        assert all(p["detection"]["score"] >= PERSON_MIN_SCORE for p in state["poses"])
        drawn = [p for p in state["poses"] if p["detection"]["score"] >= 0.3]
        assert len(drawn) == 1
        assert state["people"] == 1 and visit.page.inner_text("#people") == "1"
        assert visit.errors == []
    finally:
        visit.close()


def test_without_the_sample_photo_the_action_says_why(camera_browser, try_served, tmp_path):
    from catalog.publish.try_sample import find_sample

    unpinned = tmp_path / "sources.json"
    unpinned.write_text(json.dumps({"images": []}), "utf-8")
    why = find_sample(unpinned, tmp_path).info
    visit = TryVisit(camera_browser, try_served)
    try:
        page = visit.page
        page.route("**/try/sample.json", lambda route: route.fulfill(json=why))
        visit.open("?model=movenet-lightning")
        page.wait_for_function("window.posezooTry.model === 'movenet-lightning'", timeout=WAIT_MS)
        page.click("#sample")
        page.wait_for_function("!document.getElementById('message').hidden", timeout=WAIT_MS)
        assert page.inner_text("#message") == f"No sample photo here: {why['problem']}."
        assert visit.state()["status"] == "ready" and page.locator("#prompt").is_visible()

        page.unroute("**/try/sample.json")  # a copy of the page without the file at all
        page.route("**/try/sample.json", lambda route: route.fulfill(status=404, body="not found"))
        page.click("#prompt-sample")
        page.wait_for_function("document.getElementById('message').textContent.includes('no sample.json')")
        assert "\n" not in page.inner_text("#message") and visit.state()["status"] == "ready"
        assert [e for e in visit.errors if "404" not in e] == []  # the browser's own line for the 404 only
    finally:
        visit.close()


# --------------------------------------------------------------------------- embedded in the app


@pytest.fixture(scope="module")
def served_app(app_zoo_build, tmp_path_factory):
    from tests.app_driver import ServedApp

    app = ServedApp(app_zoo_build[0], tmp_path_factory.mktemp("serve") / "serve.log")
    yield app
    app.close()


@WIDTHS
def test_the_apps_frame_is_as_tall_as_the_page_so_the_timings_show(camera_browser, served_app, width):
    from tests.app_driver import open_when_up, try_frame, wait_for_keypoints

    context = camera_browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        open_when_up(page, served_app.url + "?page=try&model=movenet-multipose&input=sample")
        state = wait_for_keypoints(page, "movenet-multipose")
        assert state["input"]["kind"] == "sample" and state["people"] == 1
        frame = try_frame(page)
        iframe = page.locator('iframe[title="Try it"]')
        content = "Math.ceil(document.documentElement.getBoundingClientRect().height)"
        for _ in range(100):  # the frame takes the page's height once Streamlit hears of it
            if abs(iframe.bounding_box()["height"] - frame.evaluate(content)) <= 1:
                break
            page.wait_for_timeout(100)
        height = iframe.bounding_box()["height"]
        assert frame.evaluate("document.documentElement.scrollHeight") <= height + 1  # nothing scrolls inside
        for selector in ("#canvas", "#figures", "#cold"):
            bottom = frame.eval_on_selector(selector, "e => e.getBoundingClientRect().bottom + scrollY")
            assert bottom <= height, (selector, bottom, height)
        assert frame.evaluate("document.documentElement.scrollWidth") <= iframe.bounding_box()["width"]
        assert frame.inner_text("#threads-used") == "1" and frame.inner_text("#inference-ms").endswith(" ms")

        note = page.get_by_text("may not on a loaded one")
        assert note.is_visible() and "46.8 ms" in note.inner_text() and "For every core" not in note.inner_text()
        main = page.locator('[data-testid="stMain"]')
        tall = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": width, "height": min(int(tall), 4000)})
        main.evaluate("m => m.scrollTo(0, 0)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"app-try-sample-{width}.png"), full_page=True)
    finally:
        context.close()


# --------------------------------------------------------------------------- the build's choice of runtime

# the build's choice, made up for these tests: (runtime, median ms, runner-up, its median ms) at 2 threads
MEASURED = {
    "movenet-multipose": ("litert.js", 12.3, "onnxruntime-web", 17.0),
    "blazepose-detector": ("tfjs", 8.5, "litert.js", 9.1),
    "blazepose-lite": ("litert.js", 6.2, "onnxruntime-web", 7.4),
}
UNMEASURED_NOTE = "built without --browser"


def schema_filled(model, values: dict) -> dict:
    """`values`, with a placeholder for any further text field the schema requires (a pass's key)."""
    required = {name for name, field in model.model_fields.items() if field.is_required() and name not in values}
    return {**values, **dict.fromkeys(required, "made up for the test")}


def browser_row(runtime: str, median_ms: float, threads: int = 2) -> dict:
    """One BrowserLatencyRecord as the build's measurement writes it."""
    from catalog.schema import BrowserLatencyRecord

    return schema_filled(
        BrowserLatencyRecord,
        {
            "runtime": runtime,
            "runtime_version": "0",
            "browser": "Chromium",
            "backend": "wasm",
            "threads": threads,
            "median_ms": median_ms,
            "p90_ms": median_ms * 1.1,
            "cold_ms": median_ms * 5,
            "runs": 50,
            "warmup": 10,
            "session_options": {},
        },
    )


def with_choices(document: dict, choices: dict, threads: int = 2) -> dict:
    """A copy of the catalog whose build chose `choices`, with the rows it measured; every other
    variant not measured."""
    from catalog.schema import BrowserChoiceRecord

    measured = json.loads(json.dumps(document))
    for variant in measured["variants"]:
        if variant["id"] not in choices:
            variant["browser_runtime"], variant["browser_note"] = None, UNMEASURED_NOTE
            continue
        runtime, ms, runner_up, runner_up_ms = choices[variant["id"]]
        variant["browser_runtime"] = schema_filled(
            BrowserChoiceRecord,
            {
                "runtime": runtime,
                "format": RUNTIME_FORMS[runtime],
                "threads": threads,
                "median_ms": ms,
                "runner_up": runner_up,
                "runner_up_ms": runner_up_ms,
            },
        )
        for form in RUNTIME_FORMS.values():
            if form in variant["formats"]:
                variant["formats"][form]["browser_latency"] = None
        for name, median in ((runtime, ms), (runner_up, runner_up_ms)):
            variant["formats"][RUNTIME_FORMS[name]]["browser_latency"] = [browser_row(name, median, threads)]
    return measured


@pytest.fixture(scope="module")
def measured_served(try_site, tmp_path_factory):
    """(base URL, catalog, site folder): the Try-it page on a copy of the test zoo's catalog whose
    build chose the runtimes in MEASURED, served with COOP/COEP."""
    from catalog.publish.preview import make_server
    from catalog.publish.site import copy_try_page
    from catalog.schema import read_catalog

    _, build, document = try_site
    measured = with_choices(document, MEASURED)
    folder = tmp_path_factory.mktemp("measured")
    staged = _stage(build, measured, folder / "build")
    copy_try_page(staged, read_catalog(staged / "catalog.json"), folder / "site")
    server = make_server(folder / "site", 0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", measured, folder / "site"
    server.shutdown()
    server.server_close()


def chosen(page) -> str:
    """The Runtime choice's text as shown."""
    return page.eval_on_selector("#runtime", "s => s.selectedOptions[0].textContent")


def alternatives(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#runtime-choice .alternatives a", "as => as.map(a => [a.textContent, a.getAttribute('href')])"
    )


@WIDTHS
def test_each_stage_runs_on_the_builds_choice_named_with_the_others_a_click_away(
    camera_browser, measured_served, width
):
    base, document, site = measured_served
    visit = sized_visit(camera_browser, base, width)
    try:
        page = visit.open("?model=blazepose-lite&input=sample")
        state = visit.wait_for_picture(0)
        # BlazePose's detector on its own choice, its landmarks on theirs, each from that runtime's form
        stages = [(s["id"], s["runtime"], s["form"], s["why"]) for s in state["stages"]]
        assert stages == [
            ("blazepose-detector", "tfjs", "tfjs", "catalog"),
            ("blazepose-lite", "litert.js", "tflite", "catalog"),
        ]
        assert (state["runtime"], state["detector_runtime"]) == ("litert.js", "tfjs")
        lite, detector = by_id(document, "blazepose-lite"), by_id(document, "blazepose-detector")
        assert (state["file"], state["detector_file"]) == (
            lite["formats"]["tflite"]["path"],
            detector["formats"]["tfjs"]["path"],
        )
        assert models_fetched(visit) == {*form_paths(lite, "tflite"), *form_paths(detector, "tfjs")}
        said = page.inner_text("#runtime-choice")
        assert (
            "blazepose-lite runs on LiteRT.js, fastest measured by this build: 6.2 ms at 2 threads;"
            " onnxruntime-web 7.4 ms." in said
        ), said
        assert (
            "blazepose-detector (its person detector) runs on TensorFlow.js, fastest measured by this build:"
            " 8.5 ms at 2 threads; LiteRT.js 9.1 ms." in said
        ), said
        assert page.inner_text("#runtime-used") == "LiteRT.js"
        assert page.inner_text("#detector-runtime-used") == "TensorFlow.js"
        assert chosen(page) == "fastest measured: LiteRT.js"
        # the other runtime with a form of BlazePose Lite (it has no TFJS one), one click away
        assert alternatives(page) == [["onnxruntime-web", "?model=blazepose-lite&input=sample&runtime=onnxruntime-web"]]
        assert_in_view_sideways(page, width, ["#runtime", "#runtime-choice", "#figures", "#cold"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"try-runtime-choice-{width}.png"), full_page=True)

        # the click runs every stage on onnxruntime-web, in this page, and the address says so
        page.click("#runtime-choice a[data-runtime=onnxruntime-web]")
        page.wait_for_function("window.posezooTry.runtime === 'onnxruntime-web' && window.posezooTry.frames > 0")
        state = visit.state()
        assert [(s["runtime"], s["why"]) for s in state["stages"]] == [("onnxruntime-web", "asked")] * 2
        assert "runtime=onnxruntime-web" in page.url and page.input_value("#runtime") == "onnxruntime-web"
        said = page.inner_text("#runtime-choice")
        assert (
            "blazepose-lite runs on onnxruntime-web, as asked; the build's choice is LiteRT.js (fastest measured"
            " by this build: 6.2 ms at 2 threads; onnxruntime-web 7.4 ms)." in said
        ), said
        assert [a[0] for a in alternatives(page)] == ["LiteRT.js", "the build's choice"]

        # and back: each stage on the build's choice again
        page.click("#runtime-choice a[data-runtime='']")
        page.wait_for_function("window.posezooTry.runtime === 'litert.js' && window.posezooTry.frames > 0")
        assert [s["runtime"] for s in visit.state()["stages"]] == ["tfjs", "litert.js"]
        assert "runtime=" not in page.url
        visit.check_requests(site)
        assert visit.errors == []
    finally:
        visit.close()


def test_where_the_build_measured_no_runtime_onnxruntime_web_runs_and_the_page_says_so(camera_browser, measured_served):
    base, _, site = measured_served
    visit = TryVisit(camera_browser, base)
    try:
        page = visit.open("?model=posenet-mobilenet-v1&input=sample")
        state = visit.wait_for_picture(0)
        # top-down: its person detector on the build's choice, PoseNet on onnxruntime-web (not measured)
        stages = [(s["id"], s["runtime"], s["why"]) for s in state["stages"]]
        assert stages == [
            ("movenet-multipose", "litert.js", "catalog"),
            ("posenet-mobilenet-v1", "onnxruntime-web", "unmeasured"),
        ]
        said = page.inner_text("#runtime-choice")
        assert (
            "posenet-mobilenet-v1 runs on onnxruntime-web: this build did not measure the browser runtimes"
            f" ({UNMEASURED_NOTE}), so it runs the ONNX form." in said
        ), said
        assert chosen(page) == "default: onnxruntime-web"
        assert [a[0] for a in alternatives(page)] == ["LiteRT.js", "TensorFlow.js"]
        visit.check_requests(site)
        assert visit.errors == []
    finally:
        visit.close()
