// The picture and the poses on it: the frame, the skeleton's edges and the keypoints above the
// score threshold (every person), BlazePose's detector box, and the side table of keypoints.

const COLOURS = ["#00e5ff", "#ffd600", "#ff4081", "#76ff03", "#ff9100", "#d500f9"];

/**
 * Draws `source` and the poses over it; the canvas takes the source's size.
 * @param {HTMLCanvasElement} canvas
 * @param {CanvasImageSource} source
 * @param {number} width the source's width in pixels
 * @param {number} height
 * @param {import("../pose/poses.js").Pose[]} poses
 * @param {[number, number][]} skeleton the variant's keypoints.skeleton
 * @param {number} threshold keypoints scoring below it are not drawn
 */
export function drawFrame(canvas, source, width, height, poses, skeleton, threshold) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
  ctx.drawImage(source, 0, 0, width, height);
  const unit = Math.max(2, Math.min(width, height) / 160);
  poses.forEach((pose, i) => {
    const colour = COLOURS[i % COLOURS.length];
    if (pose.detection?.box) drawBox(ctx, pose.detection.box, width, height, "#ffffff", unit, "detector");
    if (pose.box && !pose.detection) drawBox(ctx, pose.box, width, height, colour, unit / 2, "");
    drawSkeleton(ctx, pose.keypoints, skeleton, width, height, colour, unit, threshold);
  });
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {import("../pose/poses.js").Keypoint[]} keypoints
 * @param {[number, number][]} skeleton
 * @param {number} width
 * @param {number} height
 * @param {string} colour
 * @param {number} unit line width
 * @param {number} threshold
 */
function drawSkeleton(ctx, keypoints, skeleton, width, height, colour, unit, threshold) {
  const shown = keypoints.map((k) => k.score >= threshold);
  ctx.lineWidth = unit;
  ctx.lineCap = "round";
  ctx.strokeStyle = colour;
  ctx.beginPath();
  for (const [a, b] of skeleton) {
    if (!shown[a] || !shown[b]) continue;
    ctx.moveTo(keypoints[a].x * width, keypoints[a].y * height);
    ctx.lineTo(keypoints[b].x * width, keypoints[b].y * height);
  }
  ctx.stroke();
  keypoints.forEach((k, i) => {
    if (!shown[i]) return;
    ctx.beginPath();
    ctx.arc(k.x * width, k.y * height, unit * 1.4, 0, 2 * Math.PI);
    ctx.fillStyle = "#ff1744";
    ctx.fill();
    ctx.lineWidth = unit / 2;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
  });
}

/**
 * @param {CanvasRenderingContext2D} ctx
 * @param {[number, number, number, number]} box normalised x0, y0, x1, y1
 * @param {number} width
 * @param {number} height
 * @param {string} colour
 * @param {number} unit
 * @param {string} label
 */
function drawBox(ctx, box, width, height, colour, unit, label) {
  const [x0, y0, x1, y1] = box;
  ctx.lineWidth = unit;
  ctx.strokeStyle = colour;
  ctx.setLineDash([unit * 3, unit * 2]);
  ctx.strokeRect(x0 * width, y0 * height, (x1 - x0) * width, (y1 - y0) * height);
  ctx.setLineDash([]);
  if (label) {
    ctx.font = `${Math.round(unit * 6)}px sans-serif`;
    ctx.fillStyle = colour;
    ctx.fillText(label, x0 * width + unit, y0 * height - unit);
  }
}

/**
 * The side table: each keypoint of the best person, its name and score (below the threshold greyed).
 * @param {HTMLTableSectionElement} body
 * @param {import("../pose/poses.js").Pose|undefined} pose
 * @param {number} threshold
 */
export function fillTable(body, pose, threshold) {
  const rows = (pose?.keypoints ?? []).map((k) => {
    const row = document.createElement("tr");
    if (k.score < threshold) row.className = "low";
    for (const text of [k.name, k.score.toFixed(2)]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  });
  body.replaceChildren(...rows);
}
