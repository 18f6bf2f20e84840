"""Neural-network pieces made of Value nodes: losses, a neuron, gradient descent,
and two one-neuron models shaped like scikit-learn's estimators.

>>> from graphgrad import nn
>>> sorted(nn.__all__)  # doctest: +NORMALIZE_WHITESPACE
['Adam', 'AdamW', 'GradientDescent', 'Layer', 'LogisticRegression', 'MLP', 'Neuron',
 'NotFittedError', 'ReLURegressor', 'SGD', 'ScalarLayer', 'ScalarMLP',
 'binary_cross_entropy', 'cost', 'softmax_cross_entropy', 'squared_error']
"""

from graphgrad.nn._model import NotFittedError
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
