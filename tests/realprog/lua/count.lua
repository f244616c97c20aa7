-- The program the live patch is applied to: it computes without end and
-- prints one line per round, "count N SUM", through Lua's print.  N counts
-- the rounds and SUM accumulates N*N modulo 1000003: both live in the
-- interpreter, so a restart or a lost round shows in the output.
local n, sum = 0, 0
local work = tonumber(arg[1]) or 100000
while true do
	local x = 0
	for i = 1, work do
		x = x + i % 7
	end
	n = n + 1
	sum = (sum + n * n) % 1000003
	print("count", n, sum)
end
