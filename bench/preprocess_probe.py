"""Which input normalisation a model was trained with, found by measurement: the keypoint check
run with each candidate, on a built catalog.

    python -m bench.preprocess_probe [--out BUILD] [VARIANT ...]   # default: every EfficientPose

EfficientNet backbones are fed either -1..1 (Keras' preprocess_input mode 'tf') or 0..1 then
ImageNet mean/std (mode 'torch'); a model fed the wrong one still answers, only worse. For each
variant this prints the keypoint check's mean distance to the hand annotation (a fraction of the
photo) under both, and how many annotated keypoints pass, at two framings: the photo as it is
(her head and shoulders fill it) and the photo at half size on a grey canvas, nearer the
framing of MPII's people, which the models were trained on. The one it picks has the lower
distance averaged over both framings.
"""

from __future__ import annotations

import argparse

from catalog.measure.keypoint_check import check_keypoints
from catalog.paths import DEFAULT_OUT
from catalog.pose import PoseEstimator
from catalog.pose.built import onnx_path, read_catalog, variant_from_record, variant_record

SCALES = (1.0, 0.5)
CANDIDATES = {
    "tf (-1..1)": {"range": (-1.0, 1.0), "mean": None, "std": None},
    "torch (ImageNet mean/std)": {"range": (0.0, 1.0), "mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args()
    document = read_catalog(args.out)
    efficientpose = [v["id"] for v in document["variants"] if v["family"] == "efficientpose" and v["status"] == "ok"]
    ids = args.variants or efficientpose
    print(f"{'variant':28} {'framing':>7} " + " ".join(f"{name:>28}" for name in CANDIDATES))
    for variant_id in ids:
        record = variant_record(document, variant_id)
        variant = variant_from_record(record)
        estimators = []
        for settings in CANDIDATES.values():
            candidate = variant.model_copy(update={"preprocess": variant.preprocess.model_copy(update=settings)})
            estimators.append(PoseEstimator(candidate, onnx_path(record, args.out)))
        distances: list[list[float]] = [[] for _ in estimators]
        for scale in SCALES:
            cells = []
            for estimator, found in zip(estimators, distances, strict=True):
                check = check_keypoints(estimator, scale)
                found.append(check.mean_distance if check.mean_distance is not None else 1.0)
                passed = sum(k.passed for k in check.keypoints)
                cells.append(f"{found[-1]:.3f} ({passed}/{len(check.keypoints)} pass)")
            print(f"{variant_id:28} {scale:>7g} " + " ".join(f"{cell:>28}" for cell in cells))
        means = [sum(found) / len(found) for found in distances]
        picked = list(CANDIDATES)[means.index(min(means))]
        print(f"{variant_id:28} {'mean':>7} " + " ".join(f"{m:>28.3f}" for m in means) + f"   -> {picked}")


if __name__ == "__main__":
    main()
