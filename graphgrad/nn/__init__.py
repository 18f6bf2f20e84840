"""Neural-network pieces made of Value nodes: a neuron, layers and multi-layer
perceptrons, losses, optimizers (gradient descent, SGD, Adam, AdamW), and models
shaped like scikit-learn's estimators (logistic regression, a ReLU neuron, an MLP
classifier).

>>> from graphgrad import nn
>>> sorted(nn.__all__)  # doctest: +NORMALIZE_WHITESPACE
['Adam', 'AdamW', 'GradientDescent', 'Layer', 'LogisticRegression', 'MLP', 'MLPClassifier',
 'Neuron', 'NotFittedError', 'ReLURegressor', 'SGD', 'ScalarLayer', 'ScalarMLP',
 'binary_cross_entropy', 'cost', 'softmax_cross_entropy', 'squared_error']
"""

from graphgrad.nn._model import NotFittedError
from graphgrad.nn.classifier import MLPClassifier
from graphgrad.nn.layers import MLP, Layer, ScalarLayer, ScalarMLP
from graphgrad.nn.logistic import LogisticRegression
from graphgrad.nn.losses import binary_cross_entropy, cost, softmax_cross_entropy, squared_error
from graphgrad.nn.neuron import Neuron
from graphgrad.nn.optim import SGD, Adam, AdamW, GradientDescent
from graphgrad.nn.relu import ReLURegressor

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "GradientDescent",
    "Layer",
    "LogisticRegression",
    "MLPClassifier",
    "Neuron",
    "NotFittedError",
    "ReLURegressor",
    "ScalarLayer",
    "ScalarMLP",
    "binary_cross_entropy",
    "cost",
    "softmax_cross_entropy",
    "squared_error",
]
