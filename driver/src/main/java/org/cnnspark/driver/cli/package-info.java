/**
 * The {@code cnn-spark} command (picocli): {@link org.cnnspark.driver.cli.Main} and one class per
 * sub-command (train, evaluate, predict, inspect, report, export, bench, quickstart, check). An
 * entry point: it may use every driver package but {@code ml}, and nothing depends on it.
 */
package org.cnnspark.driver.cli;
