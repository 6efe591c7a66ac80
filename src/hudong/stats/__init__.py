"""Pure statistical kernels: numbers and arrays in, numbers and arrays out; they never open a workspace."""
