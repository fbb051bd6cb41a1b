# The "In [n]:" cells of shared/seeds/004_e1262dfb1e911e43.txt, in order; the notebook's bare
# expressions (`grad`, `grad_dictionary['w']`) are printed, as the notebook displays them.
import numpy as np
import matplotlib as plt

import tensorflow as tf

x = tf.Variable(3.0)

with tf.GradientTape() as tape:
    y = x**2

dy_dx = tape.gradient(y, x)

w = tf.Variable(tf.random.normal((3,2)), name="w")
b = tf.Variable(tf.zeros(2,dtype=tf.float32), name='b')
x= [[1. ,2. ,3.]]

with tf.GradientTape(persistent=True) as tape:
    y = tf.matmul(x,w) + b
    loss = tf.reduce_mean(y**2)
grad = tape.gradient(loss, [w,b] )
print(grad)

grad_options = {
    "w": w,
    "b": b
}
grad_dictionary = tape.gradient(loss, grad_options)
print(repr(grad_dictionary['w']))

layer = tf.keras.layers.Dense(2, activation='relu')
x = tf.constant([[1., 2. , 3.]])

with tf.GradientTape() as tape:

    y = layer(x)
    loss = tf.reduce_mean(y**2)
grad = tape.gradient(loss, layer.trainable_variables)

for var, g in zip(layer.trainable_variables, grad):
  print(f'{var.name}, shape: {g.shape}')

x = tf.Variable([2., 2.])
y = tf.Variable(3.)

with tf.GradientTape() as tape:
  z = y**2
print(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO))

x = tf.Variable([4., 2.], trainable=False)

x = tf.constant(5.0)
with tf.GradientTape() as g:
  g.watch(x)
  with tf.GradientTape() as gg:
    gg.watch(x)
    y = x * x
  dy_dx = gg.gradient(y, x)
d2y_dx2 = g.gradient(dy_dx, x)
print(dy_dx, d2y_dx2)

example = 0
flag = 12
with tf.GradientTape() as tape:
    los= example
    if los > flag:
        tape.reset()

x = tf.constant(4.0)
with tf.GradientTape() as tape:
  with tape.stop_recording():
    y = x ** 2
dy_dx = tape.gradient(y, x)
print(dy_dx)
