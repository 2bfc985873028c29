"""Every catalogue variant's weights at a fixed seed, to prove a change to the model code keeps
the zoo reproducible bit for bit.

    python scripts/weights_fingerprint.py before.npz            # at the old revision
    python scripts/weights_fingerprint.py after.npz             # at the new one
    python scripts/weights_fingerprint.py --compare before.npz after.npz

For each variant of ``zoo.catalog.CATALOG``: the weights of ``build_training_model`` and of
``build_model`` just after they are built with ``keras.utils.set_random_seed(SEED)`` and, for a
model that ``fuses`` (``training.model.FusedRNN``), its weights and losses after two compiled
training steps on a fixed batch of pre-padded rows (XLA, as training runs them). ``--compare``
lists every array whose dtype, shape or bytes differ; its exit status is 1 if any does.
Floats from compiled steps can differ between CPUs: compare files made on one machine.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEED = 1234
STEPS = 2


def built_weights(spec) -> dict[str, list[np.ndarray]]:
    """The training model's and the exported model's weights, each built at ``SEED``."""
    import keras

    from training.model import build_model, build_training_model

    keras.utils.set_random_seed(SEED)
    training = build_training_model(spec).get_weights()
    keras.utils.set_random_seed(SEED)
    return {"train": training, "export": build_model(spec).get_weights()}


def trained_weights(spec) -> tuple[np.ndarray, list[np.ndarray]]:
    """A fused model's losses and weights after ``STEPS`` compiled steps on a fixed batch."""
    import keras

    from training.model import build_training_model, compile_model

    keras.utils.set_random_seed(SEED)
    model = build_training_model(spec)
    compile_model(model, spec.recipe)
    rng = np.random.default_rng(7)
    batch = np.zeros((8, 48), "int32")  # pre-padded rows: 8 to 20 padding columns, then words
    batch[:, 8:] = rng.integers(2, spec.num_words, size=(8, 40))
    batch[0, 8:20] = 0
    labels = (np.arange(8) % 2).astype("float32")
    losses = [model.train_on_batch(batch, labels) for _ in range(STEPS)]
    return np.asarray(losses, dtype="float64"), model.get_weights()


def fingerprint(specs) -> dict[str, np.ndarray]:
    """Every array, named ``<variant>/<train|export|trained>/<index>`` (and ``<variant>/loss``)."""
    from training.model import fuses

    arrays = {}
    for spec in specs:
        for kind, weights in built_weights(spec).items():
            arrays.update({f"{spec.id}/{kind}/{i}": w for i, w in enumerate(weights)})
        if fuses(spec):
            losses, weights = trained_weights(spec)
            arrays[f"{spec.id}/loss"] = losses
            arrays.update({f"{spec.id}/trained/{i}": w for i, w in enumerate(weights)})
        print(spec.id, flush=True)
    return arrays


def digest(weights: list[np.ndarray]) -> str:
    """SHA-256 of the arrays' dtypes, shapes and bytes, in order."""
    sha = hashlib.sha256()
    for array in weights:
        sha.update(f"{array.dtype.str}{array.shape}".encode())
        sha.update(np.ascontiguousarray(array).tobytes())
    return sha.hexdigest()


def differences(before: dict, after: dict) -> list[str]:
    """The names whose arrays are missing from one side or differ in dtype, shape or bytes."""
    names = sorted(set(before) | set(after))
    return [name for name in names if name not in before or name not in after
            or digest([before[name]]) != digest([after[name]])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, help="the .npz to write, or (--compare) the two to compare")
    parser.add_argument("--compare", action="store_true", help="compare two fingerprints instead of writing one")
    args = parser.parse_args(argv)
    if args.compare:
        if len(args.files) != 2:
            parser.error("--compare takes two files")
        before, after = (dict(np.load(path)) for path in args.files)
        found = differences(before, after)
        print(f"{len(before)} and {len(after)} arrays; {len(found)} differ" + "".join(f"\n  {n}" for n in found))
        return 1 if found else 0
    from zoo import catalog
    from zoo.quiet import quiet_tensorflow_logs

    quiet_tensorflow_logs()
    np.savez(args.files[0], **fingerprint(catalog.CATALOG))
    return 0


if __name__ == "__main__":
    sys.exit(main())
