"""Demo data: `pantau demo` fills the data-contract tables with a realistic, deterministic Indonesian online shop.

`generator.DemoGenerator` produces the rows (same seed and anchor time: the same rows), `loader` writes them
(PostgreSQL COPY, SQLite executemany), `cli.demo` is the command.
"""
