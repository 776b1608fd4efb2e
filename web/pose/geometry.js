// Where a model looks: a Frame maps the model input's normalised coordinates to the image's.
// Twin of catalog/pose/geometry.py (Frame). Every position the pose API returns is in the
// original image's normalised coordinates: x and y in 0..1, (0, 0) the top-left corner.

/** @typedef {[number, number]} Point a point (x, y) */
/** @typedef {[[number, number, number], [number, number, number]]} Matrix2x3 an affine map, row-major */

/**
 * Affine map from model-input normalised (u, v) to image normalised (x, y).
 */
export class Frame {
  /** @param {Matrix2x3} matrix 2 x 3: (x, y) = matrix · (u, v, 1) */
  constructor(matrix) {
    /** @type {Matrix2x3} */
    this.matrix = [
      [matrix[0][0], matrix[0][1], matrix[0][2]],
      [matrix[1][0], matrix[1][1], matrix[1][2]],
    ];
  }

  /** The stretch resize: the input sees the whole image. @returns {Frame} */
  static identity() {
    return new Frame([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  }

  /**
   * The image scaled to fit the input, centred, the rest padded.
   * @param {[number, number]} imageHW the image's (height, width) in pixels
   * @param {[number, number]} inputHW the model input's (height, width) in pixels
   * @returns {Frame}
   */
  static letterbox(imageHW, inputHW) {
    const [h, w] = imageHW;
    const [ih, iw] = inputHW;
    const scale = Math.min(iw / w, ih / h);
    // fraction of the input the image covers along each axis
    const fx = (w * scale) / iw;
    const fy = (h * scale) / ih;
    const x0 = (1 - fx) / 2; // where the image starts inside the input
    const y0 = (1 - fy) / 2;
    return new Frame([
      [1 / fx, 0, -x0 / fx],
      [0, 1 / fy, -y0 / fy],
    ]);
  }

  /**
   * A square of `size` pixels around `centre` (pixels), its v axis along `down`.
   * @param {[number, number]} imageHW the image's (height, width) in pixels
   * @param {Point} centre the square's centre, image pixels
   * @param {number} size the square's side, image pixels
   * @param {Point} down the direction (pixels) the input's v axis points along in the image
   * @returns {Frame}
   */
  static squareCrop(imageHW, centre, size, down) {
    const [h, w] = imageHW;
    const length = Math.hypot(down[0], down[1]);
    const d = [down[0] / length, down[1] / length];
    const right = [d[1], -d[0]]; // so that (u, v) keeps the image's handedness
    // pixel p = centre + (u - 0.5) * size * right + (v - 0.5) * size * down
    const origin = [centre[0] - 0.5 * size * (right[0] + d[0]), centre[1] - 0.5 * size * (right[1] + d[1])];
    return new Frame([
      [(right[0] * size) / w, (d[0] * size) / w, origin[0] / w],
      [(right[1] * size) / h, (d[1] * size) / h, origin[1] / h],
    ]);
  }

  /**
   * Input-normalised points in image-normalised coordinates.
   * @param {ArrayLike<number>[]} uv points (u, v)
   * @returns {Point[]}
   */
  toImage(uv) {
    const [[a, b, c], [d, e, f]] = this.matrix;
    return Array.from(uv, (p) => [p[0] * a + p[1] * b + c, p[0] * d + p[1] * e + f]);
  }

  /**
   * Image-normalised points in the input's normalised coordinates: 0..1 is inside it.
   * @param {ArrayLike<number>[]} xy points (x, y)
   * @returns {Point[]}
   */
  toInput(xy) {
    const [[a, b, c], [d, e, f]] = this.matrix;
    const det = a * e - b * d;
    return Array.from(xy, (p) => {
      const x = p[0] - c;
      const y = p[1] - f;
      return [(e * x - b * y) / det, (-d * x + a * y) / det];
    });
  }

  /**
   * The affine matrix (3 x 3, row-major) from the model input's pixel (column, row) to the
   * image's pixel (column, row), pixel centres at integers, as Frame.sample builds it:
   * input (col, row) -> (u, v) -> (x, y) -> image (col, row).
   * @param {[number, number]} imageHW the image's (height, width) in pixels
   * @param {[number, number]} inputHW the model input's (height, width) in pixels
   * @returns {number[][]}
   */
  pixelMatrix(imageHW, inputHW) {
    const [h, w] = imageHW;
    const [ih, iw] = inputHW;
    const toNorm = [
      [1 / iw, 0, 0.5 / iw],
      [0, 1 / ih, 0.5 / ih],
      [0, 0, 1],
    ];
    const toPixels = [
      [w, 0, -0.5],
      [0, h, -0.5],
      [0, 0, 1],
    ];
    const frame = [...this.matrix, [0, 0, 1]];
    // evaluated as numpy does `to_pixels @ frame @ to_norm`: left to right
    return matmul(matmul(toPixels, frame), toNorm);
  }
}

/**
 * 3 x 3 matrix product, each entry summed in index order.
 * @param {number[][]} a
 * @param {number[][]} b
 * @returns {number[][]}
 */
function matmul(a, b) {
  return a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
}
