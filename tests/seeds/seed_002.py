# The code blocks of shared/seeds/002_b227f9fac8a7f854.txt, in order, unchanged.
import tensorflow as tf

x = tf.Variable(4.0)

with tf.GradientTape() as tape:
  y = x**3

dy_dx = tape.gradient(y, x)
print(dy_dx.numpy())

a = tf.constant(2.0)
y = tf.constant(8.0)
x = tf.Variable(10.0)   # 랜덤 값

with tf.GradientTape() as tape:
    loss = tf.math.abs(a * x - y)

dx = tape.gradient(loss, x)
print(f"x값 : {x.numpy()}, 손실함수에 대해서 미분한 x값: {dx}")
x.assign(x-dx)
print(f"x-loss(x)의 값: {x.numpy()}")

a = tf.constant(2.0)
y = tf.constant(8.0)
x = tf.Variable(10.0)   # 랜덤 값

for i in range(4):
    with tf.GradientTape() as tape:
        loss = tf.math.abs(a * x - y)

    dx = tape.gradient(loss, x)
    print(f"{i}-x값 : {x.numpy()}, 손실함수에 대해서 미분한 x값: {dx}")
    x.assign(x-dx)
    print(f"x-loss(x)의 값: {x.numpy()}")

import numpy as np

# 학습될 가중치와 편향을 선언
w = tf.Variable(4.0)
b = tf.Variable(1.0)

# 단순선형회귀의 계산 함수
def hypothesis(x):
  return w*x + b

# MSE loss 함수
def mse_loss(y_pred, y):
  return tf.reduce_mean(tf.square(y_pred - y))

# 데이터 선언
x = np.arange(1, 11)
y = x * 10 + 13
print(f"x: {x}")
print(f"y: {y}")

# SGD옵티마이저 사용. 학습률은 0.01
optimizer = tf.optimizers.SGD(learning_rate=0.01)

# 500번 반복학습
for i in range(501):
    with tf.GradientTape() as tape:
        # 현재 w, b에 기반한 입력 x에 대한 예측값
        y_pred = hypothesis(x)

        # loss 계산
        loss = mse_loss(y_pred, y)

    # 손실 함수에 대한 w, b의 미분값 계산
    gradients = tape.gradient(loss, [w, b])

    # w, b 업데이트
    optimizer.apply_gradients(zip(gradients, [w, b]))

    if i % 50 == 0:
        print("epoch : {:3} | w의 값 : {:5.4f} | b의 값 : {:5.4} | loss : {:5.6f}".format(i, w.numpy(), b.numpy(), loss))
    

x_test = np.array([3.5, 8.5, 11, 13])
y_true = x_test * 10 + 13
print(f"예측값: {hypothesis(x_test).numpy()}")
print(f"실제값: {y_true}")
