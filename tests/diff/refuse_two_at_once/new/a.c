struct conn {
	int fd;
	int state;
	long bytes;
};

struct conn table[4];
int limit = 6;

int conn_state(int i)
{
	return table[i].state <= limit;
}
