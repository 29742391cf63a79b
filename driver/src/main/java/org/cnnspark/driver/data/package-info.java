/**
 * Data ingestion: IDX, CIFAR-10 binary, image folders, Parquet tables and DataFrames decoded once,
 * on the executors, into cached {@link org.cnnspark.driver.data.ImageBlock}s (uint8 NCHW pixels,
 * int labels) split into W partitions by a {@link org.cnnspark.driver.data.DataSplit}. Entry
 * point: {@link org.cnnspark.driver.data.Datasets}. Each format is a {@link
 * org.cnnspark.driver.data.DataFormat} (name, detection, loading) listed in {@link
 * org.cnnspark.driver.data.DataFormats}. Files are read through Hadoop's FileSystem API. Knows
 * nothing of training: it may use the driver's {@code spark} package only, and of the engine only
 * its {@code Shape}, its {@code Seeds} (a seeded split draws from the training seed as the engine
 * does) and its file readers ({@code engine.io}), never its numerics.
 */
package org.cnnspark.driver.data;
