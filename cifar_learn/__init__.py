__version__ = "0.0.1"
# The public API, importable as `from cifar_learn import ...`. The modules themselves are
# exported from the notebooks in nbs/; this file only re-exports their main names
# (nbdev_export updates the version line above and leaves the rest alone).
from .data import download_cifar10, unpickle, load_batch, load_classes, load_split, Split, show_images, get_cifar10, test_mode
from .dataset import CIFAR10, TensorLoader, Normalize, show_batch, channel_stats, get_device, images_per_second, CIFAR10_MEAN, CIFAR10_STD
from .model import ConvNet, BNConvNet, ResNet9, AirNet, Classifier, create_model, MODELS, summary
from .config import TrainingConfig
from .config import preset, PRESETS
from .training import (train, evaluate, load_checkpoint, create_optimizer, make_scheduler, set_seed, run_training, EvalResult, Checkpoint,
                       Lookahead)
from .report import (plot_curves, confusion_matrix, per_class_accuracy, plot_confusion, plot_per_class, plot_predictions,
                     most_confident_mistakes, plot_runs, save_figure, write_report, load_history)
from .recipe import time_to_accuracy
