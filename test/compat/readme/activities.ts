// Stand-in for the user's activities module that the README blocks import.
export async function greet(name: string): Promise<string> {
  return `Hello, ${name}!`;
}
