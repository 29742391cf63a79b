/**
 * Optimizers: PyTorch's update rules over the flat trainable prefix of the parameter buffer,
 * their state one flat buffer too. Each kind is an {@link org.cnnspark.engine.optim.Optimizer}
 * subclass holding its {@link org.cnnspark.engine.optim.OptimizerType} description, listed once in
 * {@link org.cnnspark.engine.optim.Optimizers}; a new kind is that class and that line.
 */
package org.cnnspark.engine.optim;
