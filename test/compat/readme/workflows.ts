// Stand-in for the user's workflows module that the README blocks import.
export const TASK_QUEUE = 'my-task-queue';

export async function greeting(name: string): Promise<string> {
  return name;
}
