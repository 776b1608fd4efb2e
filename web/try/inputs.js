// What the page looks at: a camera (chosen by device), an image or video file, or the sample photo. Nothing
// here sends a frame anywhere: the pixels stay in the page's canvases.

/**
 * The cameras the browser offers (their labels appear once the user has allowed one).
 * @returns {Promise<MediaDeviceInfo[]>}
 */
export async function listCameras() {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((d) => d.kind === "videoinput");
}

/**
 * Starts a camera into `video`; resolves once it shows a frame.
 * @param {HTMLVideoElement} video
 * @param {string} [deviceId] empty: the browser's default camera
 * @returns {Promise<MediaStream>}
 */
export async function startCamera(video, deviceId = "") {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("this browser gives no camera here (getUserMedia needs https or localhost)");
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: deviceId ? { deviceId: { exact: deviceId } } : true,
    audio: false,
  });
  video.srcObject = stream;
  video.muted = true;
  await video.play();
  await videoReady(video);
  return stream;
}

/**
 * Stops a camera's tracks and empties `video`.
 * @param {HTMLVideoElement} video
 * @param {MediaStream|null} stream
 */
export function stopCamera(video, stream) {
  stream?.getTracks().forEach((t) => t.stop());
  video.pause();
  video.srcObject = null;
}

/**
 * Plays a video file (looping, muted) in `video`; returns its object URL, to revoke later.
 * @param {HTMLVideoElement} video
 * @param {File} file
 * @returns {Promise<string>}
 */
export async function openVideo(video, file) {
  const url = URL.createObjectURL(file);
  video.srcObject = null;
  video.src = url;
  video.loop = true;
  video.muted = true;
  await video.play();
  await videoReady(video);
  return url;
}

/**
 * An image file's pixels, decoded by the browser.
 * @param {File} file
 * @returns {Promise<ImageBitmap>}
 */
export function openImage(file) {
  return createImageBitmap(file);
}

/**
 * Resolves when `video` has a frame of known size.
 * @param {HTMLVideoElement} video
 * @returns {Promise<void>}
 */
function videoReady(video) {
  return new Promise((resolve) => {
    const check = () => (video.readyState >= 2 && video.videoWidth > 0 ? resolve() : setTimeout(check, 30));
    check();
  });
}

const SAMPLE_INFO = new URL("sample.json", import.meta.url);

/**
 * The sample photo beside the page (try/sample.json names it, with its caption; the site's build
 * fetches it from the evaluation set's pinned package), decoded; or why there is none, in one line.
 * @returns {Promise<{bitmap: ImageBitmap, caption: string} | {problem: string}>}
 */
export async function openSample() {
  /** @type {{file?: string, caption?: string, problem?: string}} */
  let info;
  try {
    const response = await fetch(SAMPLE_INFO);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    info = await response.json();
  } catch {
    return { problem: "this copy of the page has no sample.json (the site's build writes it)" };
  }
  if (info.problem || !info.file) return { problem: info.problem || "sample.json names no photo" };
  try {
    const response = await fetch(new URL(info.file, SAMPLE_INFO));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return { bitmap: await createImageBitmap(await response.blob()), caption: info.caption ?? "" };
  } catch (error) {
    return { problem: `${info.file} could not be opened: ${error instanceof Error ? error.message : error}` };
  }
}
