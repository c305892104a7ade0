"""One module per SSR workflow step: parse the task input, call the domain step, add its metric, shape the output."""
