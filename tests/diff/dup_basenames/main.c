int src_entry(int x);
int dep_entry(int x);

int main(int argc, char **argv)
{
	return src_entry(argc) + dep_entry(argc);
}
