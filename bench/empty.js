// An empty program: the benchmark times a sandboxed Node process that does nothing.
