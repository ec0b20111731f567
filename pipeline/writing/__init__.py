"""Writing: one writer per output file, the Word and Excel papers, the output folder shared with the officer."""
