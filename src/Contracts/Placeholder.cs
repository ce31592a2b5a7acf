namespace Loa.Contracts;
