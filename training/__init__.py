"""Training the zoo: data preparation, models, the training loop, publishing."""

from zoo.quiet import quiet_tensorflow_logs

# Training's modules are commands (``python -m training.train`` ...), and several import
# TensorFlow at their top: its C++ start-up chatter is noise next to the training progress.
quiet_tensorflow_logs()

#: The folder beside a zoo folder where training keeps what is not the zoo: each variant's
#: per-epoch checkpoint (``training.checkpoint``) and the runs with other seeds (``training.seeds``).
WORK_FOLDER = ".training-work"
