__version__ = "0.0.1"
# The public API, importable as `from cifar_learn import ...`. The modules themselves are
# exported from the notebooks in nbs/; this file only re-exports their main names
# (nbdev_export updates the version line above and leaves the rest alone). `__all__` is the
# list `from cifar_learn import *` gives: these names, and no submodule. The test helpers of
# appendix A stay in `cifar_learn.fakedata`.
from .data import (get_cifar10, download_cifar10, find_cifar10, unpickle, load_batch, load_classes, load_split, Split,
                   show_images)
from .dataset import (CIFAR10, TensorLoader, share_of_batch, Normalize, show_batch, channel_stats, images_per_second,
    CIFAR10_MEAN, CIFAR10_STD)
from .devices import get_device
from .model import (ConvNet, BNConvNet, ResNet9, AirNet, Classifier, create_model, register_model, list_models, MODELS,
                    summary)
from .config import TrainingConfig, ConfigError, preset, PRESETS, decoupled_sgd, setting
from .training import train, evaluate, logits_and_loss, set_seed, EvalResult, TrainState, TrainingInterrupted
from .optimizers import create_optimizer, make_scheduler, Lookahead
from .checkpoints import load_checkpoint, Checkpoint, CheckpointError, ResumeError, resume_checkpoint
from .report import (plot_curves, confusion_matrix, per_class_accuracy, plot_confusion, plot_per_class,
                     plot_predictions, most_confident_mistakes, plot_runs, save_figure, write_report, load_history,
                     predict)
from .run import make_loaders, run_training
from .recipe import time_to_accuracy
from .distributed import world, init_distributed

__all__ = ['get_cifar10', 'download_cifar10', 'find_cifar10', 'unpickle', 'load_batch', 'load_classes', 'load_split',
           'Split', 'show_images', 'CIFAR10', 'TensorLoader', 'share_of_batch', 'Normalize', 'show_batch',
           'channel_stats', 'get_device', 'images_per_second', 'CIFAR10_MEAN', 'CIFAR10_STD', 'ConvNet', 'BNConvNet',
           'ResNet9', 'AirNet', 'Classifier', 'create_model', 'register_model', 'list_models', 'MODELS', 'summary',
           'TrainingConfig', 'ConfigError', 'preset', 'PRESETS', 'decoupled_sgd', 'setting', 'train', 'evaluate',
           'logits_and_loss', 'load_checkpoint', 'create_optimizer',
           'make_scheduler', 'set_seed', 'EvalResult', 'Checkpoint', 'CheckpointError', 'Lookahead', 'TrainState',
           'TrainingInterrupted', 'ResumeError', 'resume_checkpoint', 'plot_curves', 'confusion_matrix',
           'per_class_accuracy', 'plot_confusion', 'plot_per_class', 'plot_predictions', 'most_confident_mistakes',
           'plot_runs', 'save_figure', 'write_report', 'load_history', 'predict', 'make_loaders', 'run_training',
           'time_to_accuracy', 'world', 'init_distributed']
