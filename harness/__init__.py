"""What the tests and the benchmarks both drive: real newsum processes, a newsroom
database filled with articles, throwaway PostgreSQL databases, the API as a server, and
fault injection. Not test code itself (no assertions), so ``bench/`` may import it."""
