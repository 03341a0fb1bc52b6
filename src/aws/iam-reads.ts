/** IAM reads that the inventory (`scan`) and the response code (revoke, cleanup, restore) both make. */
import {
  GetLoginProfileCommand,
  type IAMClient,
  ListServiceSpecificCredentialsCommand,
  type ListServiceSpecificCredentialsCommandInput,
  type ListServiceSpecificCredentialsCommandOutput,
} from '@aws-sdk/client-iam';
import { isNotFound } from './errors';

/**
 * Every page of ListServiceSpecificCredentials, following `Marker` while `IsTruncated`: the SDK has
 * no `paginate*` helper for this call (its API model has no paging trait).
 */
export async function* paginateListServiceSpecificCredentials(
  iam: IAMClient,
  input: Omit<ListServiceSpecificCredentialsCommandInput, 'Marker'>,
): AsyncGenerator<ListServiceSpecificCredentialsCommandOutput> {
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListServiceSpecificCredentialsCommand({ ...input, Marker }));
    yield page;
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
}

/** Whether the user has a console password: GetLoginProfile, where "no such entity" means no. */
export async function hasLoginProfile(iam: IAMClient, UserName: string): Promise<boolean> {
  try {
    await iam.send(new GetLoginProfileCommand({ UserName }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
