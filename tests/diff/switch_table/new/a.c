#include <stdio.h>

int before(int x)
{
	switch (x) {
	case 0: return puts("zero");
	case 1: return puts("one");
	case 2: return puts("two");
	case 3: return puts("three");
	case 4: return puts("four");
	case 5: return puts("five");
	default: return -1;
	}
}

int pick(int x)
{
	switch (x) {
	case 0: return puts("alpha");
	case 1: return puts("beta");
	case 2: return puts("GAMMA, changed");
	case 3: return puts("delta");
	case 4: return puts("epsilon");
	case 5: return puts("zeta");
	default: return -20;
	}
}

int after(int x)
{
	switch (x) {
	case 0: return puts("red");
	case 1: return puts("green");
	case 2: return puts("blue");
	case 3: return puts("cyan");
	case 4: return puts("magenta");
	case 5: return puts("yellow");
	default: return -3;
	}
}
