"""Reading what communes send: files nobody here wrote, parsed where a crash, a huge allocation or a
hang costs only that file."""
