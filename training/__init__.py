"""Training the zoo: data preparation, models, the training loop, publishing."""

import os

# TensorFlow's C++ start-up chatter is noise next to the training progress.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
