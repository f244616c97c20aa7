/*
 * 16-byte constants (gcc and clang at -O2 load each pair from
 * .rodata.cst16, a mergeable section).  The new version adds a function
 * whose constant comes first: first()'s moves to another offset of the
 * section, but the linker merges such entries, so first() is the same.
 */
struct pair {
	long a, b;
};

/* Defined here, so that the case links on its own; noipa: not inlined. */
__attribute__((noipa)) void use(struct pair *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

void zero(void)
{
	struct pair p = { 8, 9 };

	use(&p);
}

void first(void)
{
	struct pair p = { 1, 2 };

	use(&p);
}

void second(void)
{
	struct pair p = { 3, 4 };

	use(&p);
}
