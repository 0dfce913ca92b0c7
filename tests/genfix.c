/* genfix.c: planted-feature fixture generator (placeholder: being written now). */
int main(void) { return 1; }
