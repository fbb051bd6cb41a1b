# The code of shared/seeds/003_c4cd8088c662d927.txt without its printed outputs and without the
# plotting tail (it uses `plt`, never imported, so it fails under TensorFlow as well).
import tensorflow as tf  # the seed assumes this import
t1=tf.Variable([1,2,3], dtype=tf.float32)
t2=tf.Variable([10,20,30],dtype=tf.float32)

with tf.GradientTape() as tape:
    t3=t1*t2

gradients=tape.gradient(t3,[t1,t2])
print(type(gradients))

print('dt1',gradients[0])
print('dt2',gradients[1])

t1=tf.Variable([1,2,3], dtype=tf.float32)
t2=tf.Variable([10,20,30],dtype=tf.float32)


with tf.GradientTape() as tape:
    t3=t1*t2
    t4=t2+t3

gradients=tape.gradient(t4,[t1,t2,t3])
print(type(gradients))

print('dt1',gradients[0])
print('dt2',gradients[1])
print('dt3',gradients[2])

t1=tf.constant([1,2,3], dtype=tf.float32)
t2=tf.Variable([10,20,30],dtype=tf.float32)

with tf.GradientTape() as tape:
    t3=t1*t2

gradients=tape.gradient(t3,[t1,t2])
print(type(gradients))

print('dt1',gradients[0])
print('dt2',gradients[1])

x_data=tf.random.normal(shape=(1000,) ,dtype=tf.float32)
y_data=3*x_data+1

w = tf.Variable(-1.)
b = tf.Variable(-1.)

LR = 0.01
w_trace, b_trace = [], []

for epoch in range(10):
    for x, y in zip(x_data, y_data):
        with tf.GradientTape() as tape:
            predictions = w*x + b
            loss = (predictions - y)**2
        gradients = tape.gradient(loss, [w, b])

        w = tf.Variable(w - LR*gradients[0])
        b = tf.Variable(b - LR*gradients[1])
        w_trace.append(w.numpy())
        b_trace.append(b.numpy())
