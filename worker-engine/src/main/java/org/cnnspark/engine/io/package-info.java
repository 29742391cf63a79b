/**
 * Model files: safetensors (PyTorch interop, PyTorch names and layouts), the project's own
 * versioned model format, and the IDX dataset reader. Never Java serialization; every length read
 * from a file is checked against the file's size before anything is allocated.
 */
package org.cnnspark.engine.io;
