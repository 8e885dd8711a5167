#define TABLE_LEN 6
extern const int table[TABLE_LEN];
extern long total;
extern int records;
extern const char *op_name;
extern char greeting[];
void record(int value);
int util_twice(int x);
int current_op(int x);
int tuning(void);

struct shape { const char *name; int sides; int (*area)(int); };
const struct shape *find_shape(const char *name);
