/**
 * The layers of a sequential network, with PyTorch's semantics: one layer per file, its shapes in
 * the header Javadoc, forward and backward next to each other (see {@link org.cnnspark.engine.layers.Linear}).
 * Depends only on the engine's kernels and buffers.
 *
 * <p>Names of dimensions, used in every header and shape comment:
 * <ul>
 *   <li>N: images in the batch; C, H, W: channels, height and width of a layer's input, NCHW
 *       ("channels first") in memory.
 *   <li>OC: output channels of a convolution; K: kernel size (square); stride and pad as in PyTorch.
 *   <li>HO, WO: output height and width, HO = floor((H + 2 pad - K) / stride) + 1.
 *   <li>IN, OUT: features of a dense layer.
 * </ul>
 *
 * <p>Terms of the convolution ({@link org.cnnspark.engine.layers.Conv2d} and its two helpers,
 * {@link org.cnnspark.engine.layers.ConvGrid} and {@link org.cnnspark.engine.layers.ReluMaxPoolEpilogue}):
 * <ul>
 *   <li>padded planes: one image's input with {@code pad} zeros on every side, (H + 2 pad) x
 *       (W + 2 pad) per channel, plus K - 1 floats of slack.
 *   <li>patch: the C * K * K input values one output position reads; the rows of im2col's matrix
 *       {@code cols}, and the columns of the weight seen as an (OC, patch) matrix.
 *   <li>grid: the output positions the GEMM computes for one image, HO rows of gridWidth
 *       columns (gridSize in all). gridWidth is the padded width for stride 1 (the extra columns
 *       are computed and dropped) and WO otherwise.
 *   <li>chunk: the images whose grids sit side by side in one GEMM; it has
 *       columns = images * gridSize.
 *   <li>channels last: a grid stored as (columns, OC) rather than (OC, columns), as the fused max
 *       pool wants it.
 *   <li>PH, PW: height and width after a fused max pool; window code: which cell of a pool window
 *       held the first maximum (a * poolK + b, row-major), or poolK^2 when the fused ReLU zeroed
 *       the output.
 * </ul>
 */
package org.cnnspark.engine.layers;
