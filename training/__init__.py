"""Training the zoo: data preparation, models, the training loop, publishing."""

import os

# TensorFlow's C++ start-up chatter is noise next to the training progress.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: The folder beside a zoo folder where training keeps what is not the zoo: each variant's
#: per-epoch checkpoint (``training.checkpoint``) and the runs with other seeds (``training.seeds``).
WORK_FOLDER = ".training-work"
