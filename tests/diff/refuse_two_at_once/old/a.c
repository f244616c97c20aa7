struct conn {
	int fd;
	int state;
};

struct conn table[4];
int limit = 5;

int conn_state(int i)
{
	return table[i].state < limit;
}
