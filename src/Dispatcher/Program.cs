namespace Loa.Dispatcher;
public static class Program { public static void Main() { } }
