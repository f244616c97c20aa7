/*
 * Built -fPIC into a PIE: the compiler writes general- and local-dynamic
 * accesses (__tls_get_addr), which the static linker rewrites to
 * local-exec; --emit-relocs keeps the relocations of what was written.
 */
__thread long tg = 3;
static __thread long tl;

__attribute__((noinline)) long f(void)
{
	return tg + tl++;
}

int main(void)
{
	return f();
}
